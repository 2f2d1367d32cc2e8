/**
 * Keeps only the last `maxBytes` of a process's stderr: ffmpeg can print megabytes over a long run,
 * and an error message only needs the end.
 */
export class StderrTail {
  private chunks: string[] = [];
  private size = 0;

  constructor(private readonly maxBytes = 4096) {}

  push(chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    this.chunks.push(text);
    this.size += text.length;
    while (this.size > this.maxBytes && this.chunks.length > 1) {
      this.size -= this.chunks.shift()!.length;
    }
    if (this.size > this.maxBytes && this.chunks.length === 1) {
      const only = this.chunks[0]!;
      this.chunks[0] = only.slice(only.length - this.maxBytes);
      this.size = this.chunks[0].length;
    }
  }

  toString(): string {
    return this.chunks.join('').trim();
  }
}
