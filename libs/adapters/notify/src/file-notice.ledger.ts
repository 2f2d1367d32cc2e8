import { join } from 'node:path';
import { JsonFileWriter, readJsonFile } from '@vigint/files';
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
  private readonly writer: JsonFileWriter;
  private loaded: Promise<void> | undefined;

  constructor(dir: string) {
    super(MAX_ENTRIES);
    this.file = join(dir, FILE);
    this.writer = new JsonFileWriter(this.file);
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
      for (const [key, e] of await readJsonFile<Stored[]>(this.file, [])) {
        this.entries.set(key, { ...e, attempts: e.attempts.map((a) => ({ ...a, at: new Date(a.at) })) });
      }
    })();
    return this.loaded;
  }

  protected override persist(): Promise<void> {
    return this.writer.write(() => [...this.entries.entries()]);
  }
}
