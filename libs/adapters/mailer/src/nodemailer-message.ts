import type { SendMailOptions } from 'nodemailer';
import type { MailMessage } from './mail-transport';

/** Maps our MailMessage to nodemailer's options (one place, shared by SMTP and the .eml outbox). */
export function toNodemailer(message: MailMessage): SendMailOptions {
  return {
    from: message.from,
    to: message.to,
    subject: message.subject,
    text: message.text,
    html: message.html,
    messageId: message.messageId,
    headers: message.headers,
    attachments: (message.attachments ?? []).map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      ...(a.content !== undefined ? { content: a.content } : { path: a.path }),
      ...(a.cid ? { cid: a.cid, contentDisposition: 'inline' as const } : {}),
    })),
  };
}
