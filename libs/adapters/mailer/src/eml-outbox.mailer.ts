import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError, ErrorCode } from '@vigint/contracts';
import { silentLogger, type Logger } from '@vigint/logger';
import nodemailer, { type Transporter } from 'nodemailer';
import type { MailMessage, MailSendResult, MailTransport } from './mail-transport';
import { toNodemailer } from './nodemailer-message';

/**
 * Local mode without SMTP: each message becomes an RFC 822 `.eml` file (attachments included) in `dir`,
 * readable by any mail client. Written to a temp name then renamed, so a reader never sees half a file.
 */
export class EmlOutboxMailer implements MailTransport {
  readonly kind = 'outbox' as const;
  readonly dir: string;
  private readonly transporter: Transporter;
  private readonly log: Logger;

  constructor(dir: string, log: Logger = silentLogger) {
    this.dir = resolve(dir);
    this.log = log.child({ module: 'eml-outbox' });
    // streamTransport: nodemailer's MailComposer output as a stream, nothing sent anywhere.
    this.transporter = nodemailer.createTransport({ streamTransport: true, newline: 'windows' });
  }

  async send(message: MailMessage): Promise<MailSendResult> {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const file = join(this.dir, `${stamp}-${randomUUID().slice(0, 8)}.eml`);
    const tmp = `${file}.tmp`;
    try {
      await mkdir(this.dir, { recursive: true });
      const info = (await this.transporter.sendMail(toNodemailer(message))) as { message: Readable | Buffer };
      if (Buffer.isBuffer(info.message)) {
        await pipeline([info.message], createWriteStream(tmp));
      } else {
        await pipeline(info.message, createWriteStream(tmp));
      }
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw new AppError(ErrorCode.MailDeliveryFailed, 'could not write the e-mail to the outbox', {
        cause: err,
        details: { retryable: true },
      });
    }
    this.log.info({ file }, 'mail written to outbox');
    const to = Array.isArray(message.to) ? message.to : [message.to];
    return { messageId: file, accepted: to };
  }

  async close(): Promise<void> {
    this.transporter.close();
  }
}
