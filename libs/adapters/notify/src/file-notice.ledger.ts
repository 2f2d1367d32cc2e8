import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChannelKind, NoticeDeliveryOutcome, NoticeAttempt } from './notice.types';
import { MemoryNoticeLedger, type NoticeLedgerEntry } from './memory-notice.ledger';

const FILE = 'notice-ledger.json';
/** The whole file is rewritten on each change: a few thousand deliveries outlive any replay of an incident. */
const MAX_ENTRIES = 2_000;

type Stored = [
  string,
  Omit<NoticeLedgerEntry, 'attempts'> & { attempts: Array<Omit<NoticeAttempt, 'at'> & { at: string }> },
];

/**
 * Local mode's notice ledger: the memory ledger saved to one JSON file (temp file + rename) after every
 * change, like the FileAlertLedger, so a restarted edge agent never notifies twice for one incident. An
 * entry left `sending` by a crash stays claimed: a notice that may have gone is not repeated. One process
 * per folder.
 */
export class FileNoticeLedger extends MemoryNoticeLedger {
  private readonly file: string;
  private loaded: Promise<void> | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly dir: string) {
    super(MAX_ENTRIES);
    this.file = join(dir, FILE);
  }

  override async claim(key: string, channel: ChannelKind, incidentId: string): Promise<boolean> {
    await this.load();
    return super.claim(key, channel, incidentId);
  }

  override async record(attempt: NoticeAttempt): Promise<void> {
    await this.load();
    return super.record(attempt);
  }

  override async finish(key: string, outcome: NoticeDeliveryOutcome): Promise<void> {
    await this.load();
    return super.finish(key, outcome);
  }

  private load(): Promise<void> {
    this.loaded ??= (async () => {
      let raw: string;
      try {
        raw = await readFile(this.file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for (const [key, e] of JSON.parse(raw) as Stored[]) {
        this.entries.set(key, { ...e, attempts: e.attempts.map((a) => ({ ...a, at: new Date(a.at) })) });
      }
    })();
    return this.loaded;
  }

  protected override persist(): Promise<void> {
    // Writes are chained: each saves the state at its turn, the last one wins with the latest state.
    this.writing = this.writing
      .catch(() => undefined)
      .then(async () => {
        await mkdir(this.dir, { recursive: true });
        const tmp = `${this.file}.${process.pid}.tmp`;
        await writeFile(tmp, JSON.stringify([...this.entries.entries()]));
        await rename(tmp, this.file);
      });
    return this.writing;
  }
}
