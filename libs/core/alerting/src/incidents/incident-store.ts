import type {
  CameraHeartbeat,
  CameraRecord,
  IncidentDelivery,
  IncidentListQuery,
  IncidentOpen,
  IncidentPage,
  IncidentPatch,
  IncidentRecord,
  RiskLevel,
} from '@vigint/contracts';

/*
 * Incidents and cameras on record. Two implementations with one behaviour: PostgreSQL (@vigint/db, distributed
 * mode) and JSON files under the agent's data folder (file-incident-store.ts, local mode). `tenant` is the client
 * id (`local` in local mode); every method is scoped by it, so one client never sees another's records.
 * Mutations are keyed by the agent's idempotency key (what the agent and the worker know); reads and
 * acknowledge by the record id (what the console shows). Every record expires (`expiresAt`).
 */

export interface IncidentStore {
  /** Records the incident as open; a second open() with the same key returns the first record unchanged. */
  open(tenant: string, input: IncidentOpen): Promise<IncidentRecord>;
  /** Null when no incident has this key (expired, or never announced). */
  update(tenant: string, idempotencyKey: string, patch: IncidentPatch): Promise<IncidentRecord | null>;
  /** update() + status closed (+ endedAt when given). */
  complete(tenant: string, idempotencyKey: string, patch?: IncidentPatch): Promise<IncidentRecord | null>;
  /** Appends one delivery attempt (e-mail, push...) to the incident's log. */
  addDelivery(tenant: string, idempotencyKey: string, delivery: IncidentDelivery): Promise<IncidentRecord | null>;
  list(tenant: string, query: IncidentListQuery): Promise<IncidentPage>;
  get(tenant: string, id: string): Promise<IncidentRecord | null>;
  findByKey(tenant: string, idempotencyKey: string): Promise<IncidentRecord | null>;
  acknowledge(tenant: string, id: string, at?: Date): Promise<IncidentRecord | null>;
  /** Deletes expired records; returns how many. */
  purgeExpired(now?: Date): Promise<number>;
  /** Deletes every record of the tenant (GDPR erase); returns how many. */
  erase(tenant: string): Promise<number>;
}

export interface CameraStore {
  /** Creates or refreshes the camera from the agent's report (state, last frame time). */
  heartbeat(tenant: string, beat: CameraHeartbeat, now?: Date): Promise<CameraRecord>;
  list(tenant: string, now?: Date): Promise<CameraRecord[]>;
  get(tenant: string, id: string, now?: Date): Promise<CameraRecord | null>;
  /** No alert for this camera until `until` (null: snooze off). Null when the camera is unknown. */
  snooze(tenant: string, id: string, until: Date | null): Promise<CameraRecord | null>;
  setThreshold(tenant: string, id: string, level: RiskLevel): Promise<CameraRecord | null>;
  purgeExpired(now?: Date): Promise<number>;
  erase(tenant: string): Promise<number>;
}

/** True while the camera's snooze holds at `now`. */
export function isSnoozed(camera: Pick<CameraRecord, 'snoozedUntil'> | null | undefined, now = new Date()): boolean {
  return Boolean(camera?.snoozedUntil && Date.parse(camera.snoozedUntil) > now.getTime());
}
