import { AppError, ErrorCode } from '@vigint/contracts';
import { silentLogger, type Logger } from '@vigint/logger';
import nodemailer, { type Transporter } from 'nodemailer';
import type { MailMessage, MailSendResult, MailTransport } from './mail-transport';
import { toNodemailer } from './nodemailer-message';

export interface SmtpMailerOptions {
  host: string;
  port: number;
  user?: string;
  pass?: string;
  /** Implicit TLS (port 465). Default: port === 465; otherwise STARTTLS is used when the server offers it. */
  secure?: boolean;
  connectionTimeoutMs?: number;
  greetingTimeoutMs?: number;
  socketTimeoutMs?: number;
  log?: Logger;
}

interface SmtpErrorLike {
  code?: string;
  responseCode?: number;
  command?: string;
}

export class SmtpMailer implements MailTransport {
  readonly kind = 'smtp' as const;
  private readonly transporter: Transporter;
  private readonly log: Logger;

  constructor(private readonly options: SmtpMailerOptions) {
    this.log = (options.log ?? silentLogger).child({ module: 'smtp-mailer' });
    // No pool: alerts are rare, and a fresh connection per message notices a restarted server at once.
    this.transporter = nodemailer.createTransport({
      host: options.host,
      port: options.port,
      secure: options.secure ?? options.port === 465,
      auth: options.user ? { user: options.user, pass: options.pass ?? '' } : undefined,
      connectionTimeout: options.connectionTimeoutMs ?? 10_000,
      greetingTimeout: options.greetingTimeoutMs ?? 10_000,
      socketTimeout: options.socketTimeoutMs ?? 60_000,
    });
  }

  async send(message: MailMessage): Promise<MailSendResult> {
    try {
      const info = await this.transporter.sendMail(toNodemailer(message));
      const accepted = ((info.accepted ?? []) as (string | { address: string })[]).map((a) =>
        typeof a === 'string' ? a : a.address,
      );
      this.log.info({ messageId: info.messageId, recipients: accepted.length }, 'mail sent');
      return { messageId: info.messageId, accepted };
    } catch (err) {
      const e = err as SmtpErrorLike;
      this.log.warn(
        { code: e.code, responseCode: e.responseCode, command: e.command, host: this.options.host },
        'mail delivery failed',
      );
      throw new AppError(
        ErrorCode.MailDeliveryFailed,
        `e-mail delivery failed (${e.code ?? 'error'}${e.responseCode ? ` ${e.responseCode}` : ''})`,
        {
          cause: err,
          // A 5xx reply is a rejection (bad recipient, auth); connection errors and 4xx are worth retrying.
          details: {
            code: e.code,
            responseCode: e.responseCode,
            retryable: !(e.responseCode && e.responseCode >= 500),
          },
        },
      );
    }
  }

  async close(): Promise<void> {
    this.transporter.close();
  }
}
