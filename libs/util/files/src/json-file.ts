import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Reads a JSON file; a missing file is `fallback`. */
export async function readJsonFile<T>(file: string, fallback: T): Promise<T> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw err;
  }
}

/**
 * Saves JSON through a temp file and a rename, so a crash never leaves half a file. Writes are chained per
 * writer: each saves the state at its turn, and the last one holds the latest state.
 */
export class JsonFileWriter {
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly file: string) {}

  write(value: () => unknown): Promise<void> {
    this.writing = this.writing
      .catch(() => undefined)
      .then(async () => {
        await mkdir(dirname(this.file), { recursive: true });
        const tmp = `${this.file}.${process.pid}.tmp`;
        await writeFile(tmp, JSON.stringify(value(), null, 1));
        await rename(tmp, this.file);
      });
    return this.writing;
  }
}
