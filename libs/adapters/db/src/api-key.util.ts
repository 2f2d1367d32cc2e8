import { createHash, randomBytes } from 'node:crypto';

/** A new API key: 32 random bytes as base64url, 43 characters, like the earlier system's keys. */
export function generateApiKey(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256 hex of the key: what `api_keys.key_hash` stores (the earlier system's format). */
export function hashApiKey(plaintextKey: string): string {
  return createHash('sha256').update(plaintextKey, 'utf8').digest('hex');
}
