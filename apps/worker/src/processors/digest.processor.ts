import { digestDue, renderDigestEmail, type DigestEmailData, type DigestIncident } from '@vigint/alerting';
import {
  AlertLanguage,
  CameraState,
  JobName,
  RISK_ORDER,
  type DigestRunResult,
  type IncidentRecord,
} from '@vigint/contracts';
import type { Db } from '@vigint/db';
import { silentLogger, type Logger } from '@vigint/logger';
import type { MailAttachment, MailTransport } from '@vigint/mailer';
import type { JobContext, JobHandler } from '@vigint/queue';
import type { ArtifactStore } from '@vigint/storage';

export interface DigestDeps {
  db: Pick<Db, 'consoleSettings' | 'clients' | 'incidents' | 'cameras' | 'apiKeys' | 'usage' | 'artifacts'>;
  store: Pick<ArtifactStore, 'get'>;
  mailer: Pick<MailTransport, 'send'>;
  from: string;
  /** EMAIL_TO: the recipient when the client has no e-mail of its own. */
  fallbackTo?: string;
  /** PUBLIC_BASE_URL: the console's links. */
  publicBaseUrl?: string;
  /** Injected for tests (a synthetic clock). */
  now?: () => Date;
}

const DAY_MS = 24 * 3600_000;
const TOP = 3;
const MAX_INCIDENTS = 1_000;
const THUMB_MAX_BYTES = 512 * 1024;
/** API calls read per key for the spend: the same bound the console's usage page uses. */
const COST_ROWS = 5_000;

/**
 * The daily digest (off by default; on per client in the console): a repeatable job that, for each client
 * whose local digest hour has come, claims that local day (one digest per client and day, whichever worker
 * runs) and mails the last 24 hours: incidents per camera, the top ones with thumbnails, cameras not live,
 * AI spend. A failed send gives the day back, so the next run sends it.
 */
export class DigestProcessor {
  constructor(private readonly deps: DigestDeps) {}

  handlers(): { [JobName.DigestRun]: JobHandler<JobName.DigestRun> } {
    return { [JobName.DigestRun]: (_data, ctx) => this.run(ctx.log) };
  }

  async run(log: Logger | JobContext['log'] = silentLogger): Promise<DigestRunResult> {
    const now = this.deps.now?.() ?? new Date();
    const result: DigestRunResult = { due: 0, sent: 0, failed: 0 };
    for (const entry of await this.deps.db.consoleSettings.digestSchedules()) {
      const day = digestDue(entry, now);
      if (!day) continue;
      result.due++;
      if (!(await this.deps.db.consoleSettings.claimDigest(entry.clientId, day))) continue;
      try {
        await this.send(entry.clientId, entry.timeZone, day, now);
        result.sent++;
        log.info({ clientId: entry.clientId, day }, 'digest sent');
      } catch (err) {
        result.failed++;
        log.warn(
          { clientId: entry.clientId, day, err: (err as Error).message },
          'digest not sent; the next run retries',
        );
        await this.deps.db.consoleSettings
          .releaseDigest(entry.clientId, day, entry.lastDigestDay)
          .catch(() => undefined);
      }
    }
    return result;
  }

  private async send(clientId: string, timeZone: string, day: string, now: Date): Promise<void> {
    const { db } = this.deps;
    const client = await db.clients.findById(clientId);
    const to = client?.email || this.deps.fallbackTo;
    if (!to) throw new Error('no recipient: the client has no e-mail and EMAIL_TO is unset');
    const from = new Date(now.getTime() - DAY_MS);
    const [incidents, cameras, spend] = await Promise.all([
      this.incidents(clientId, from, now),
      db.cameras.list(clientId, now),
      this.spend(clientId, from, now),
    ]);
    const perCamera = new Map<string, number>();
    for (const i of incidents) perCamera.set(i.cameraName, (perCamera.get(i.cameraName) ?? 0) + 1);
    const rank = (i: IncidentRecord) => RISK_ORDER.indexOf(i.riskLevel);
    const top = [...incidents]
      .sort((a, b) => rank(b) - rank(a) || b.startedAt.localeCompare(a.startedAt))
      .slice(0, TOP);
    const attachments: MailAttachment[] = [];
    const base = this.deps.publicBaseUrl?.replace(/\/+$/, '');
    const topItems: DigestIncident[] = [];
    for (const [n, i] of top.entries()) {
      const thumb = i.thumbnailArtifactId ? await this.thumbnail(clientId, i.thumbnailArtifactId) : undefined;
      const cid = thumb ? `digest-${n}@vigint` : undefined;
      if (thumb && cid)
        attachments.push({ filename: `incident-${n + 1}.jpg`, content: thumb, cid, contentType: 'image/jpeg' });
      topItems.push({
        cameraName: i.cameraName,
        riskLevel: i.riskLevel,
        incidentType: i.incidentType,
        summary: i.summary,
        startedAt: new Date(i.startedAt),
        thumbnailCid: cid,
        url: base ? `${base}/console/incidents/${i.id}` : undefined,
      });
    }
    const data: DigestEmailData = {
      clientName: client?.name,
      day,
      timeZone,
      total: incidents.length,
      perCamera: [...perCamera].map(([cameraName, count]) => ({ cameraName, count })).sort((a, b) => b.count - a.count),
      top: topItems,
      offline: cameras
        .filter((c) => c.state !== CameraState.Live)
        .map((c) => ({
          cameraName: c.name,
          state: c.state,
          lastFrameAt: c.lastFrameAt ? new Date(c.lastFrameAt) : null,
        })),
      aiSpendUsd: spend,
      consoleUrl: base ? `${base}/console/incidents` : undefined,
    };
    const mail = renderDigestEmail(data, client?.language ?? AlertLanguage.En);
    await this.deps.mailer.send({
      from: this.deps.from,
      to,
      ...mail,
      attachments,
      // A resent digest of the same day is recognisable as such.
      messageId: `<digest-${clientId}-${day}@vigint>`,
    });
  }

  private async incidents(clientId: string, from: Date, to: Date): Promise<IncidentRecord[]> {
    const out: IncidentRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.deps.db.incidents.list(clientId, {
        from: from.toISOString(),
        to: to.toISOString(),
        limit: 100,
        ...(cursor ? { cursor } : {}),
      });
      out.push(...page.incidents);
      cursor = page.nextCursor ?? undefined;
    } while (cursor && out.length < MAX_INCIDENTS);
    return out;
  }

  /** Usage cost of the client's keys over the period (the budget store of the AI issue is not used here). */
  private async spend(clientId: string, from: Date, to: Date): Promise<number | null> {
    const keys = await this.deps.db.apiKeys.listForClient(clientId);
    let total = 0;
    for (const k of keys) {
      for (const c of await this.deps.db.usage.recentCalls(k.id, COST_ROWS)) {
        if (c.timestamp >= from && c.timestamp < to) total += c.cost;
      }
    }
    return Math.round(total * 10_000) / 10_000;
  }

  private async thumbnail(clientId: string, artifactId: string): Promise<Buffer | undefined> {
    const a = await this.deps.db.artifacts.findForClient(clientId, artifactId).catch(() => null);
    if (!a || a.bytes > THUMB_MAX_BYTES) return undefined;
    try {
      const chunks: Buffer[] = [];
      for await (const c of await this.deps.store.get(a.storageKey)) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    } catch {
      // Expired or removed since: the digest goes without that picture.
      return undefined;
    }
  }
}
