import { join } from 'node:path';
import { JsonFileWriter, readJsonFile } from '@vigint/files';
import {
  AlertLedgerState,
  MemoryAlertLedger,
  type AlertClaim,
  type AlertRecord,
  type ClaimResult,
} from './alert-ledger';

const FILE = 'alert-ledger.json';
/** Records older than this are dropped on write: far beyond any cooldown or job retry. */
const KEEP_MS = 7 * 24 * 60 * 60 * 1000;

type Stored = Omit<AlertRecord, 'occurredAt' | 'leaseUntil' | 'sentAt'> & {
  occurredAt: string;
  leaseUntil?: string;
  sentAt?: string;
};

/**
 * Local mode's ledger: the memory ledger, saved to one JSON file (temp file + rename) after every change,
 * so a restarted edge agent still knows what it sent. One process per folder.
 */
export class FileAlertLedger extends MemoryAlertLedger {
  private readonly file: string;
  private readonly writer: JsonFileWriter;
  private loaded: Promise<void> | undefined;

  constructor(dir: string) {
    super();
    this.file = join(dir, FILE);
    this.writer = new JsonFileWriter(this.file);
  }

  override async claim(claim: AlertClaim, leaseMs: number, now?: Date): Promise<ClaimResult> {
    await this.load();
    return super.claim(claim, leaseMs, now);
  }

  override async markSent(alertKey: string, result: { messageId: string; sentAt: Date }): Promise<void> {
    await this.load();
    return super.markSent(alertKey, result);
  }

  override async markFailed(alertKey: string, error: string): Promise<void> {
    await this.load();
    return super.markFailed(alertKey, error);
  }

  override async markSuppressed(alertKey: string, result: { reason: string; duplicateOf?: string }): Promise<void> {
    await this.load();
    return super.markSuppressed(alertKey, result);
  }

  override async findRecent(clientKey: string, cameraId: string, since: Date): Promise<AlertRecord[]> {
    await this.load();
    return super.findRecent(clientKey, cameraId, since);
  }

  override async get(alertKey: string): Promise<AlertRecord | undefined> {
    await this.load();
    return super.get(alertKey);
  }

  private load(): Promise<void> {
    this.loaded ??= (async () => {
      for (const s of await readJsonFile<Stored[]>(this.file, [])) {
        this.records.set(s.alertKey, {
          ...s,
          // Ledgers written before camera ids were recorded knew the camera by its name.
          cameraId: s.cameraId ?? s.camera,
          occurredAt: new Date(s.occurredAt),
          leaseUntil: s.leaseUntil ? new Date(s.leaseUntil) : undefined,
          sentAt: s.sentAt ? new Date(s.sentAt) : undefined,
        });
      }
    })();
    return this.loaded;
  }

  protected override persist(): Promise<void> {
    return this.writer.write(() => {
      const cutoff = Date.now() - KEEP_MS;
      for (const [key, r] of this.records)
        if (r.state !== AlertLedgerState.Sending && (r.sentAt ?? r.occurredAt).getTime() < cutoff)
          this.records.delete(key);
      return [...this.records.values()];
    });
  }
}
