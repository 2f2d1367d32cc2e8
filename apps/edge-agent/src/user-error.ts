/**
 * A mistake the user can fix (bad flag, unreadable file, bad URL, bad config value): main.ts prints its
 * message alone, without a stack trace, and exits with `exitCode`.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
