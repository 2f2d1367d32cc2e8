/**
 * Hides the user name and password of any URL in a text (`rtsp://admin:secret@cam/…` → `rtsp://***@cam/…`).
 * ffmpeg echoes its input URL in errors and we log its command and stderr: camera credentials must not follow.
 */
export function redactCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@'"]+@/gi, '$1***@');
}

export function redactArgs(args: readonly string[]): string[] {
  return args.map(redactCredentials);
}
