import { AppError, ErrorCode } from '@vigint/contracts';

const B64_RE = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * Decodes a base64 field strictly (Node's decoder silently skips garbage): a `data:` URL prefix and
 * whitespace are allowed, URL-safe alphabet too; anything else is 400 INVALID_BASE64 naming the field.
 */
export function decodeBase64(value: string, field: string): Buffer {
  let s = value.trim();
  const comma = s.startsWith('data:') ? s.indexOf(',') : -1;
  if (comma >= 0) s = s.slice(comma + 1);
  s = s.replace(/\s+/g, '');
  if (s.length === 0 || !B64_RE.test(s) || s.length % 4 === 1) {
    throw new AppError(ErrorCode.InvalidBase64, `${field} is not valid base64`, { field });
  }
  const buf = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (buf.length === 0) throw new AppError(ErrorCode.InvalidBase64, `${field} is empty`, { field });
  return buf;
}

// eslint-disable-next-line no-control-regex
const BAD_NAME_RE = /[/\\\x00-\x1f\x7f]|^\.+$|\.\./;

/**
 * A caller's file name is a display name only (storage keys are generated). Path characters are refused
 * rather than silently stripped, so the caller learns about it: 400 INVALID_FILENAME naming the field.
 */
export function displayFilename(
  value: string | null | undefined,
  field: string,
  fallback: string,
  ext?: string,
): string {
  if (value === null || value === undefined || value.trim() === '') return fallback;
  const name = value.trim();
  if (BAD_NAME_RE.test(name) || name.length > 200) {
    throw new AppError(ErrorCode.InvalidFilename, `${field} must be a plain file name without path characters`, {
      field,
    });
  }
  if (ext && !name.toLowerCase().endsWith(`.${ext}`)) return `${name.replace(/\.[A-Za-z0-9]{1,5}$/, '')}.${ext}`;
  return name;
}

/** A name safe inside a Content-Disposition header (quoted-string), plus the RFC 5987 form. */
export function contentDisposition(kind: 'inline' | 'attachment', filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}
