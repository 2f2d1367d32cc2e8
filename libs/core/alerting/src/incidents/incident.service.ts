import {
  AppError,
  ErrorCode,
  type CameraHeartbeatBody,
  type CameraList,
  type CameraRecord,
  type IncidentDelivered,
  type IncidentListQuery,
  type IncidentOpen,
  type IncidentPage,
  type IncidentRecord,
  type RiskLevel,
} from '@vigint/contracts';
import type { CameraStore, IncidentStore } from './incident-store';

const notFound = (what: string) => new AppError(ErrorCode.NotFound, `${what} not found`, { field: 'id' });

/**
 * What the gateway's routes and the console call, `(tenant, input)` → record: the stores' answers with
 * "unknown id" as a NotFound error (404), the same for another client's id.
 */
export class IncidentService {
  constructor(private readonly store: IncidentStore) {}

  /** Records the incident the agent just opened; a repeated announce returns the first record. */
  announce(tenant: string, input: IncidentOpen): Promise<IncidentRecord> {
    return this.store.open(tenant, input);
  }

  /**
   * Records an incident whose alert the agent sent itself (failover): opened, its delivery logged once (a replayed
   * request adds nothing), closed. No e-mail: nothing here queues one.
   */
  async record(tenant: string, input: IncidentOpen, delivered: IncidentDelivered): Promise<IncidentRecord> {
    const opened = await this.store.open(tenant, input);
    const d = delivered.delivery;
    if (!opened.deliveries.some((x) => x.channel === d.channel && x.at === d.at))
      await this.store.addDelivery(tenant, input.idempotencyKey, d);
    const closed = await this.store.complete(
      tenant,
      input.idempotencyKey,
      delivered.endedAt ? { endedAt: delivered.endedAt } : {},
    );
    return closed ?? opened;
  }

  list(tenant: string, query: IncidentListQuery): Promise<IncidentPage> {
    return this.store.list(tenant, query);
  }

  async get(tenant: string, id: string): Promise<IncidentRecord> {
    return (await this.store.get(tenant, id)) ?? Promise.reject(notFound('incident'));
  }

  /**
   * Gives an incident the clip it has none of (the agent's failover record: the agent mailed the clip itself).
   * A clip it already has is kept: a replayed upload changes nothing. `store` runs only when one is needed.
   */
  async attachClip(tenant: string, id: string, store: () => Promise<string>): Promise<IncidentRecord> {
    const incident = await this.get(tenant, id);
    if (incident.clipArtifactId) return incident;
    const clipArtifactId = await store();
    return (
      (await this.store.complete(tenant, incident.idempotencyKey, { clipArtifactId })) ??
      Promise.reject(notFound('incident'))
    );
  }

  async acknowledge(tenant: string, id: string, at?: Date): Promise<IncidentRecord> {
    return (await this.store.acknowledge(tenant, id, at)) ?? Promise.reject(notFound('incident'));
  }
}

export class CameraService {
  /** `maxCameras`: cameras one client may have on record (a key cannot fill the table with made-up ids). */
  constructor(
    private readonly store: CameraStore,
    private readonly options: { maxCameras?: number } = {},
  ) {}

  /**
   * Records each camera's beat. Past `maxCameras`, the beats of cameras already on record and of new ones that
   * still fit are recorded, and the rest refused with a 429 naming them.
   */
  async heartbeat(tenant: string, body: CameraHeartbeatBody): Promise<CameraList> {
    const now = new Date();
    const max = this.options.maxCameras ?? Infinity;
    const known = new Set<string>(Number.isFinite(max) ? (await this.store.list(tenant, now)).map((c) => c.id) : []);
    const cameras: CameraRecord[] = [];
    const refused: string[] = [];
    for (const beat of body.cameras) {
      if (!known.has(beat.id) && known.size >= max) {
        refused.push(beat.id);
        continue;
      }
      known.add(beat.id);
      cameras.push(await this.store.heartbeat(tenant, beat, now));
    }
    if (refused.length > 0) {
      throw new AppError(
        ErrorCode.RateLimited,
        `camera quota exceeded: at most ${max} cameras per client; not recorded: ${refused.join(', ').slice(0, 500)}`,
        { field: 'cameras' },
      );
    }
    return { cameras };
  }

  async list(tenant: string): Promise<CameraList> {
    return { cameras: await this.store.list(tenant) };
  }

  async get(tenant: string, id: string): Promise<CameraRecord> {
    return (await this.store.get(tenant, id)) ?? Promise.reject(notFound('camera'));
  }

  async snooze(tenant: string, id: string, until: Date | null): Promise<CameraRecord> {
    return (await this.store.snooze(tenant, id, until)) ?? Promise.reject(notFound('camera'));
  }

  async setThreshold(tenant: string, id: string, level: RiskLevel): Promise<CameraRecord> {
    return (await this.store.setThreshold(tenant, id, level)) ?? Promise.reject(notFound('camera'));
  }
}
