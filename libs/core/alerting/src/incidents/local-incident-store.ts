import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  DEFAULT_ALERT_THRESHOLD,
  DEFAULT_RECORD_RETENTION_HOURS,
  IncidentStatus,
  type CameraHeartbeat,
  type CameraRecord,
  type IncidentDelivery,
  type IncidentListQuery,
  type IncidentOpen,
  type IncidentPage,
  type IncidentPatch,
  type IncidentRecord,
  type RiskLevel,
} from '@vigint/contracts';
import type { CameraStore, IncidentStore } from './incident-store';
import { compareIncidents, incidentMatches, pageSize, startOfUtcDay, toPage } from './incident-query';
import { JsonFileWriter, readJsonFile } from '@vigint/files';

export interface LocalStoreOptions {
  /** Folder for `incidents.json` / `cameras.json`; absent: memory only (tests, `--fast` back-testing). */
  dir?: string;
  /** How long a record is kept (default 72 h). */
  retentionHours?: number;
}

type Keyed<T> = T & { tenant: string };

/** Shared load/persist/expiry of the local stores: everything in memory, saved to one JSON file per store. */
abstract class LocalRecords<T extends { expiresAt: string }> {
  protected readonly records = new Map<string, Keyed<T>>();
  protected readonly retentionMs: number;
  private loaded: Promise<void> | undefined;
  private readonly writer: JsonFileWriter | undefined;

  protected constructor(
    private readonly file: string | undefined,
    options: LocalStoreOptions,
  ) {
    this.retentionMs = (options.retentionHours ?? DEFAULT_RECORD_RETENTION_HOURS) * 3_600_000;
    this.writer = file ? new JsonFileWriter(file) : undefined;
  }

  protected expiry(from: Date): string {
    return new Date(from.getTime() + this.retentionMs).toISOString();
  }

  protected load(): Promise<void> {
    this.loaded ??= (async () => {
      if (!this.file) return;
      for (const [k, v] of await readJsonFile<[string, Keyed<T>][]>(this.file, [])) this.records.set(k, v);
    })();
    return this.loaded;
  }

  protected async save(): Promise<void> {
    const now = Date.now();
    for (const [k, r] of this.records) if (Date.parse(r.expiresAt) <= now) this.records.delete(k);
    await this.writer?.write(() => [...this.records.entries()]);
  }

  protected live(now: Date): Keyed<T>[] {
    return [...this.records.values()].filter((r) => Date.parse(r.expiresAt) > now.getTime());
  }

  async purgeExpired(now: Date = new Date()): Promise<number> {
    await this.load();
    let n = 0;
    for (const [k, r] of this.records)
      if (Date.parse(r.expiresAt) <= now.getTime()) {
        this.records.delete(k);
        n += 1;
      }
    if (n > 0) await this.save();
    return n;
  }

  async erase(tenant: string): Promise<number> {
    await this.load();
    let n = 0;
    for (const [k, r] of this.records)
      if (r.tenant === tenant) {
        this.records.delete(k);
        n += 1;
      }
    await this.save();
    return n;
  }
}

const strip = <T>(r: Keyed<T>): T => {
  const { tenant: _tenant, ...rest } = r;
  return structuredClone(rest) as T;
};
const keyOf = (tenant: string, key: string) => `${tenant}\u0000${key}`;

/** Local mode's incident store (one agent process per folder). */
export class LocalIncidentStore extends LocalRecords<IncidentRecord> implements IncidentStore {
  constructor(options: LocalStoreOptions = {}) {
    super(options.dir ? join(options.dir, 'incidents.json') : undefined, options);
  }

  async open(tenant: string, input: IncidentOpen): Promise<IncidentRecord> {
    await this.load();
    const k = keyOf(tenant, input.idempotencyKey);
    const existing = this.records.get(k);
    if (existing && Date.parse(existing.expiresAt) > Date.now()) return strip(existing);
    const now = new Date().toISOString();
    const record: Keyed<IncidentRecord> = {
      tenant,
      id: randomUUID(),
      idempotencyKey: input.idempotencyKey,
      cameraId: input.cameraId,
      cameraName: input.cameraName,
      startedAt: input.startedAt,
      endedAt: null,
      detectedAt: input.detectedAt,
      riskLevel: input.riskLevel,
      incidentType: input.incidentType,
      summary: input.summary,
      screen: input.screen ?? null,
      confirm: input.confirm ?? null,
      clipArtifactId: null,
      thumbnailArtifactId: null,
      deliveries: [],
      acknowledgedAt: null,
      status: IncidentStatus.Open,
      expiresAt: this.expiry(new Date(input.startedAt)),
      createdAt: now,
      updatedAt: now,
    };
    this.records.set(k, record);
    await this.save();
    return strip(record);
  }

  async update(tenant: string, idempotencyKey: string, patch: IncidentPatch): Promise<IncidentRecord | null> {
    return this.mutate(tenant, idempotencyKey, (r) => Object.assign(r, dropUndefined(patch)));
  }

  async complete(tenant: string, idempotencyKey: string, patch: IncidentPatch = {}): Promise<IncidentRecord | null> {
    return this.mutate(tenant, idempotencyKey, (r) =>
      Object.assign(r, dropUndefined(patch), {
        status: IncidentStatus.Closed,
        endedAt: patch.endedAt ?? r.endedAt ?? new Date().toISOString(),
      }),
    );
  }

  async addDelivery(
    tenant: string,
    idempotencyKey: string,
    delivery: IncidentDelivery,
  ): Promise<IncidentRecord | null> {
    return this.mutate(tenant, idempotencyKey, (r) => r.deliveries.push(delivery));
  }

  async list(tenant: string, query: IncidentListQuery): Promise<IncidentPage> {
    await this.load();
    const match = incidentMatches(query, new Date());
    const all = [...this.records.values()].filter((r) => r.tenant === tenant && match(r)).sort(compareIncidents);
    const page = toPage(all, pageSize(query));
    return { ...page, incidents: page.incidents.map(strip) };
  }

  async get(tenant: string, id: string): Promise<IncidentRecord | null> {
    await this.load();
    const r = this.live(new Date()).find((x) => x.tenant === tenant && x.id === id);
    return r ? strip(r) : null;
  }

  async findByKey(tenant: string, idempotencyKey: string): Promise<IncidentRecord | null> {
    await this.load();
    const r = this.records.get(keyOf(tenant, idempotencyKey));
    return r && Date.parse(r.expiresAt) > Date.now() ? strip(r) : null;
  }

  async acknowledge(tenant: string, id: string, at: Date = new Date()): Promise<IncidentRecord | null> {
    const found = await this.get(tenant, id);
    if (!found) return null;
    return this.mutate(tenant, found.idempotencyKey, (r) => {
      r.acknowledgedAt ??= at.toISOString();
    });
  }

  private async mutate(
    tenant: string,
    idempotencyKey: string,
    change: (r: Keyed<IncidentRecord>) => unknown,
  ): Promise<IncidentRecord | null> {
    await this.load();
    const r = this.records.get(keyOf(tenant, idempotencyKey));
    if (!r || Date.parse(r.expiresAt) <= Date.now()) return null;
    change(r);
    r.updatedAt = new Date().toISOString();
    await this.save();
    return strip(r);
  }

  /** Incidents of one camera started since `since` (the cameras' `incidentsToday`). */
  async countSince(tenant: string, cameraId: string, since: Date): Promise<number> {
    await this.load();
    return this.live(new Date()).filter(
      (r) => r.tenant === tenant && r.cameraId === cameraId && Date.parse(r.startedAt) >= since.getTime(),
    ).length;
  }
}

type StoredCamera = Omit<CameraRecord, 'incidentsToday'> & { expiresAt: string };

/** Local mode's camera store; `incidentsToday` is counted from the incident store given. */
export class LocalCameraStore extends LocalRecords<StoredCamera> implements CameraStore {
  constructor(
    private readonly incidents: Pick<LocalIncidentStore, 'countSince'>,
    options: LocalStoreOptions = {},
  ) {
    super(options.dir ? join(options.dir, 'cameras.json') : undefined, options);
  }

  async heartbeat(tenant: string, beat: CameraHeartbeat, now: Date = new Date()): Promise<CameraRecord> {
    await this.load();
    const k = keyOf(tenant, beat.id);
    const prev = this.records.get(k);
    const record: Keyed<StoredCamera> = {
      tenant,
      id: beat.id,
      name: beat.name,
      state: beat.state,
      lastFrameAt: beat.lastFrameAt ?? prev?.lastFrameAt ?? null,
      lastHeartbeatAt: now.toISOString(),
      snoozedUntil: prev?.snoozedUntil ?? null,
      alertThreshold: prev?.alertThreshold ?? beat.alertThreshold ?? DEFAULT_ALERT_THRESHOLD,
      expiresAt: this.expiry(now),
    };
    this.records.set(k, record);
    await this.save();
    return this.view(record, now);
  }

  async list(tenant: string, now: Date = new Date()): Promise<CameraRecord[]> {
    await this.load();
    const mine = this.live(now)
      .filter((r) => r.tenant === tenant)
      .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
    return Promise.all(mine.map((r) => this.view(r, now)));
  }

  async get(tenant: string, id: string, now: Date = new Date()): Promise<CameraRecord | null> {
    await this.load();
    const r = this.records.get(keyOf(tenant, id));
    return r && Date.parse(r.expiresAt) > now.getTime() ? this.view(r, now) : null;
  }

  async snooze(tenant: string, id: string, until: Date | null): Promise<CameraRecord | null> {
    return this.mutate(tenant, id, (r) => (r.snoozedUntil = until ? until.toISOString() : null));
  }

  async setThreshold(tenant: string, id: string, level: RiskLevel): Promise<CameraRecord | null> {
    return this.mutate(tenant, id, (r) => (r.alertThreshold = level));
  }

  private async mutate(
    tenant: string,
    id: string,
    change: (r: Keyed<StoredCamera>) => unknown,
  ): Promise<CameraRecord | null> {
    await this.load();
    const r = this.records.get(keyOf(tenant, id));
    if (!r || Date.parse(r.expiresAt) <= Date.now()) return null;
    change(r);
    await this.save();
    return this.view(r, new Date());
  }

  private async view(r: Keyed<StoredCamera>, now: Date): Promise<CameraRecord> {
    const { expiresAt: _e, ...camera } = strip(r);
    return { ...camera, incidentsToday: await this.incidents.countSince(r.tenant, r.id, startOfUtcDay(now)) };
  }
}

/** Local mode's pair of stores in one folder. */
export function createLocalStores(options: LocalStoreOptions = {}): {
  incidents: LocalIncidentStore;
  cameras: LocalCameraStore;
} {
  const incidents = new LocalIncidentStore(options);
  return { incidents, cameras: new LocalCameraStore(incidents, options) };
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
