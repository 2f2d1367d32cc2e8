export interface MailAttachment {
  filename: string;
  /** Bytes in memory, or `path` to stream a file (a clip) without loading it. One of the two. */
  content?: Buffer;
  path?: string;
  /** Set for inline parts referenced from the HTML as `cid:<cid>`. */
  cid?: string;
  contentType: string;
}

export interface MailMessage {
  from: string;
  to: string | string[];
  subject: string;
  text: string;
  html: string;
  attachments?: MailAttachment[];
  /** RFC 5322 Message-ID, e.g. derived from the alert's idempotency key so a resend is recognisable. */
  messageId?: string;
  headers?: Record<string, string>;
}

export interface MailSendResult {
  /** The Message-ID for SMTP; the .eml file path for the outbox. */
  messageId: string;
  accepted: string[];
}

/**
 * Where alert e-mails go. Failures are AppError MAIL_DELIVERY_FAILED (retryable: the caller's job retries
 * with backoff until the server is back).
 */
export interface MailTransport {
  readonly kind: 'smtp' | 'outbox';
  send(message: MailMessage): Promise<MailSendResult>;
  close(): Promise<void>;
}
