export * from './mail-transport';
export * from './smtp.mailer';
export * from './eml-outbox.mailer';
export * from './create-mailer';
