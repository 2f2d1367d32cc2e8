import { AppError, ErrorCode } from '@vigint/contracts';
import { startSmtpServer, type TestSmtpServer } from '@vigint/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createMailer } from './create-mailer';
import type { MailMessage } from './mail-transport';
import { SmtpMailer } from './smtp.mailer';

const message: MailMessage = {
  from: 'Vigint <alerts@vigint.test>',
  to: 'owner@example.test',
  subject: 'Alert',
  text: 'plain body',
  html: '<p>html body <img src="cid:thumb"></p>',
  messageId: '<alert-1@vigint.test>',
  attachments: [
    { filename: 'thumb.jpg', content: Buffer.from('jpegbytes'), cid: 'thumb', contentType: 'image/jpeg' },
    { filename: 'clip.mp4', content: Buffer.alloc(2048, 7), contentType: 'video/mp4' },
  ],
};

let smtp: TestSmtpServer | undefined;
afterEach(async () => {
  await smtp?.stop();
  smtp = undefined;
});

describe('SmtpMailer', () => {
  it('delivers text, html, the inline image and the attachment', async () => {
    smtp = await startSmtpServer();
    const mailer = new SmtpMailer({ host: smtp.host, port: smtp.port });
    const result = await mailer.send(message);
    await mailer.close();
    expect(result.accepted).toEqual(['owner@example.test']);
    const [mail] = await smtp.waitForMessages(1);
    expect(mail!.envelope.to).toEqual(['owner@example.test']);
    expect(mail!.parsed.messageId).toBe('<alert-1@vigint.test>');
    expect(mail!.parsed.text?.trim()).toBe('plain body');
    const byName = new Map(mail!.parsed.attachments.map((a) => [a.filename, a]));
    expect(byName.get('thumb.jpg')).toMatchObject({ cid: 'thumb', contentDisposition: 'inline' });
    expect(byName.get('clip.mp4')!.content.length).toBe(2048);
  });

  it('authenticates when the server requires it', async () => {
    smtp = await startSmtpServer({ auth: { user: 'u', pass: 'p' } });
    const mailer = createMailer({
      EMAIL_SMTP_SERVER: smtp.host,
      EMAIL_SMTP_PORT: smtp.port,
      EMAIL_USERNAME: 'u',
      EMAIL_PASSWORD: 'p',
    });
    expect(mailer.kind).toBe('smtp');
    await mailer.send(message);
    await mailer.close();
    expect(smtp.messages).toHaveLength(1);
  });

  it('throws a retryable MAIL_DELIVERY_FAILED while the server is down, and delivers once it is back', async () => {
    smtp = await startSmtpServer();
    const mailer = new SmtpMailer({ host: smtp.host, port: smtp.port, connectionTimeoutMs: 2_000 });
    await smtp.down();
    const err = await mailer.send(message).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe(ErrorCode.MailDeliveryFailed);
    expect((err as AppError).permanent).toBe(false);
    expect((err as AppError).details).toMatchObject({ retryable: true });
    await smtp.up();
    await mailer.send(message);
    await mailer.close();
    expect(smtp.messages).toHaveLength(1);
  });

  it('rejects wrong credentials as a non-retryable delivery failure', async () => {
    smtp = await startSmtpServer({ auth: { user: 'u', pass: 'p' } });
    const mailer = new SmtpMailer({ host: smtp.host, port: smtp.port, user: 'u', pass: 'wrong' });
    const err = (await mailer.send(message).catch((e: unknown) => e)) as AppError;
    await mailer.close();
    expect(err.code).toBe(ErrorCode.MailDeliveryFailed);
    expect(err.details).toMatchObject({ retryable: false });
    expect(smtp.messages).toHaveLength(0);
  });
});
