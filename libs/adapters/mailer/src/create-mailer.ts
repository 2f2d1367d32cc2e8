import { resolve } from 'node:path';
import { silentLogger, type Logger } from '@vigint/logger';
import { EmlOutboxMailer } from './eml-outbox.mailer';
import type { MailTransport } from './mail-transport';
import { SmtpMailer } from './smtp.mailer';

/** The mail settings, named as in the environment (the apps' config passes them through). */
export interface MailerConfig {
  EMAIL_SMTP_SERVER?: string;
  EMAIL_SMTP_PORT?: number;
  EMAIL_USERNAME?: string;
  EMAIL_PASSWORD?: string;
  /** Implicit TLS; default true on port 465 only. */
  EMAIL_SMTP_SECURE?: boolean;
  /** Where .eml files go when no SMTP server is configured (default ./data/outbox). */
  EMAIL_OUTBOX_DIR?: string;
}

export const DEFAULT_OUTBOX_DIR = 'data/outbox';

/** SMTP when EMAIL_SMTP_SERVER is set, else the .eml outbox (local mode, zero setup). */
export function createMailer(config: MailerConfig, log: Logger = silentLogger): MailTransport {
  if (config.EMAIL_SMTP_SERVER) {
    return new SmtpMailer({
      host: config.EMAIL_SMTP_SERVER,
      port: config.EMAIL_SMTP_PORT ?? 587,
      user: config.EMAIL_USERNAME || undefined,
      pass: config.EMAIL_PASSWORD || undefined,
      secure: config.EMAIL_SMTP_SECURE,
      log,
    });
  }
  return new EmlOutboxMailer(resolve(config.EMAIL_OUTBOX_DIR ?? DEFAULT_OUTBOX_DIR), log);
}
