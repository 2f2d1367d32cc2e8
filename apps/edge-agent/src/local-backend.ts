import { rm, stat } from 'node:fs/promises';
import { AlertStatus, BufferType, type AnalysisResult } from '@vigint/contracts';
import {
  AiPricer,
  AlertService,
  AnalysisService,
  buildPriceTable,
  createLocalStores,
  FileAlertLedger,
  MemoryAlertLedger,
  selectAnalysisProvider,
  summaryOf,
  verdictsOf,
  type CameraStore,
  type IncidentStore,
} from '@vigint/alerting';
import { ClipService } from '@vigint/clip';
import type { FfmpegAdapter } from '@vigint/ffmpeg';
import { GeminiAdapter } from '@vigint/gemini';
import type { ImageAdapter } from '@vigint/image';
import type { Logger } from '@vigint/logger';
import { createMailer, type MailTransport } from '@vigint/mailer';
import type {
  AnalyzeRequest,
  CameraNotice,
  CameraStatus,
  DeliveryResult,
  Incident,
  IncidentBackend,
  OpeningIncident,
} from './backend';
import { withClipError } from './backend';
import type { AgentConfig } from './config';
import { UserError } from './user-error';

export interface LocalBackendOptions {
  analysis: AnalysisService;
  alerts: AlertService;
  clips: ClipService;
  mailer: MailTransport;
  image: ImageAdapter;
  to: string;
  from: string;
  /** Largest e-mail attachment the mail server takes (raw bytes before base64). */
  maxAttachmentBytes: number;
  shortBufferSeconds: number;
  longBufferSeconds: number;
  description: string;
  /** Incidents and cameras on record (JSON files beside the outbox). */
  stores: { incidents: IncidentStore; cameras: CameraStore };
  /** Env variables naming each stage's model, for the start-up model check. */
  modelSources?: { short: string; long: string };
  log: Logger;
}

/** The one tenant of local mode's stores. */
export const LOCAL_TENANT = 'local';

/** Local mode: everything in this process, through the processing-core libs. */
export class LocalBackend implements IncidentBackend {
  readonly mode = 'local' as const;
  private readonly log: Logger;

  constructor(private readonly o: LocalBackendOptions) {
    this.log = o.log.child({ module: 'local-backend' });
  }

  describe(): string {
    return this.o.description;
  }

  /** models.get on the configured models: a retired or unknown one stops the agent naming the variable. */
  async checkModels(): Promise<void> {
    try {
      await this.o.analysis.checkModels(this.o.modelSources);
    } catch (err) {
      throw new UserError((err as Error).message);
    }
  }

  analyze(req: AnalyzeRequest): Promise<AnalysisResult> {
    // AnalysisService applies the masks (toAiJpeg) before any image reaches a provider.
    return this.o.analysis.analyze({
      frames: req.frames,
      longFrames: req.longFrames,
      bufferType: req.bufferType ?? BufferType.Short,
      language: req.language,
      masks: req.masks,
      cameraName: req.cameraName,
      shortSpanSeconds: this.o.shortBufferSeconds,
      longSpanSeconds: this.o.longBufferSeconds,
      signal: req.signal,
    });
  }

  async deliver(incident: Incident, clipFile: string | undefined): Promise<DeliveryResult> {
    const temp: string[] = [];
    try {
      // Masks were applied by the pipeline (clip and snapshot) before this call.
      let clip = clipFile;
      const budget = this.o.clips.emailBudgetBytes(this.o.maxAttachmentBytes);
      const size = clip ? (await stat(clip)).size : 0;
      if (clip && clipFile && size > budget) {
        const small = `${clipFile}.small.mp4`;
        const r = await this.o.clips.compressToSize(clip, small, { maxSizeBytes: budget });
        this.log.info({ from: r.originalSize, to: r.compressedSize, passes: r.passes }, 'clip compressed for e-mail');
        temp.push(small);
        clip = small;
      }
      const frames = incident.snapshot ? [incident.snapshot] : [];
      const a = incident.analysis;
      const outcome = await this.o.alerts.send({
        alertKey: incident.idempotencyKey,
        clientKey: 'local',
        to: this.o.to,
        cameraName: incident.cameraName,
        riskLevel: incident.riskLevel,
        incidentType: a.incident_type,
        analysis: a.analysis || a.description,
        detailedAnalysis: withClipError(a.detailed_analysis, incident.clipError),
        language: incident.language,
        occurredAt: incident.startedAt,
        frames,
        clip: clip ? { path: clip, filename: `${incident.idempotencyKey}.mp4`, contentType: 'video/mp4' } : undefined,
      });
      const clipBytes = clip ? (await stat(clip)).size : undefined;
      const where = (id?: string) => (this.o.mailer.kind === 'outbox' ? (id ?? '') : `smtp:${this.o.to}`);
      switch (outcome.status) {
        case AlertStatus.Delivered:
          return {
            status: outcome.replayed ? 'duplicate' : 'sent',
            destination: where(outcome.messageId),
            messageId: outcome.messageId,
            clipBytes,
          };
        case AlertStatus.Suppressed:
          return { status: 'suppressed', destination: '', detail: outcome.suppressedReason, clipBytes };
        case AlertStatus.Queued:
          return { status: 'queued', destination: where(outcome.messageId), clipBytes };
        default:
          return { status: 'failed', destination: '', detail: 'delivery failed', clipBytes };
      }
    } finally {
      await Promise.all(temp.map((f) => rm(f, { force: true })));
    }
  }

  async announce(incident: OpeningIncident): Promise<void> {
    const { screen, confirm } = verdictsOf(incident.analysis);
    await this.o.stores.incidents
      .open(LOCAL_TENANT, {
        idempotencyKey: incident.idempotencyKey,
        cameraId: incident.cameraId,
        cameraName: incident.cameraName,
        startedAt: incident.startedAt.toISOString(),
        detectedAt: incident.detectedAt.toISOString(),
        riskLevel: incident.riskLevel,
        incidentType: incident.analysis.incident_type,
        summary: summaryOf(incident.analysis),
        screen,
        confirm,
      })
      .catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'could not record the incident'));
  }

  async update(incident: Incident): Promise<void> {
    await this.o.stores.incidents
      .update(LOCAL_TENANT, incident.idempotencyKey, { endedAt: incident.endedAt.toISOString() })
      .catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'could not update the incident'));
  }

  async heartbeat(cameras: CameraStatus[]): Promise<void> {
    for (const c of cameras) {
      await this.o.stores.cameras
        .heartbeat(LOCAL_TENANT, {
          id: c.cameraId,
          name: c.cameraName,
          state: c.state,
          lastFrameAt: c.lastFrameAt?.toISOString() ?? null,
          alertThreshold: c.alertThreshold,
        })
        .catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'could not record the camera'));
    }
  }

  async notify(notice: CameraNotice): Promise<DeliveryResult> {
    const offline = notice.kind === 'camera_offline';
    const subject = offline
      ? `[Vigint] Camera offline: ${notice.cameraName}`
      : `[Vigint] Camera back online: ${notice.cameraName}`;
    const text = offline
      ? `Camera "${notice.cameraName}" has sent no picture for ${notice.seconds} s (since about ${(notice.outageStartedAt ?? notice.at).toISOString()}). The agent keeps trying to reconnect.`
      : `Camera "${notice.cameraName}" is sending pictures again (${notice.at.toISOString()}).`;
    const res = await this.o.mailer.send({
      from: this.o.from,
      to: this.o.to,
      subject,
      text,
      html: `<p>${text.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</p>`,
      headers: { 'X-Vigint-Notice': notice.kind, 'X-Vigint-Key': notice.idempotencyKey },
    });
    return {
      status: 'sent',
      destination: this.o.mailer.kind === 'outbox' ? res.messageId : `smtp:${this.o.to}`,
      messageId: res.messageId,
    };
  }

  async close(): Promise<void> {
    await this.o.mailer.close();
  }
}

export function createLocalBackend(
  config: AgentConfig,
  deps: { image: ImageAdapter; ffmpeg: FfmpegAdapter; log: Logger },
): LocalBackend {
  const { image, ffmpeg, log } = deps;
  const selected = selectAnalysisProvider(config.ai, {
    gemini: (c) => new GeminiAdapter({ apiKey: c.GOOGLE_API_KEY!, baseUrl: c.GEMINI_BASE_URL, log }),
  });
  const provider = selected.provider;
  const analysis = new AnalysisService({
    provider,
    image,
    models: selected.models,
    fallbackModel: selected.fallbackModel,
    pricer: new AiPricer(buildPriceTable(config.ai.AI_PRICES_JSON), log),
    log,
  });
  const mailer = createMailer(
    {
      EMAIL_SMTP_SERVER: config.email.smtpServer,
      EMAIL_SMTP_PORT: config.email.smtpPort,
      EMAIL_USERNAME: config.email.username,
      EMAIL_PASSWORD: config.email.password,
      EMAIL_OUTBOX_DIR: config.outbox,
    },
    log,
  );
  // Back-testing a file with --fast: every run stands alone (a file ledger would suppress the same scene
  // replayed a minute later). Live cameras keep a ledger beside the outbox so a restart never mails twice.
  const ledger = config.fast ? new MemoryAlertLedger() : new FileAlertLedger(config.outbox);
  const to = config.email.to ?? 'alerts@localhost';
  const alerts = new AlertService({ mailer, ledger, image, from: config.email.from, log });
  const clips = new ClipService(ffmpeg, log, image);
  const stores = createLocalStores(config.fast ? {} : { dir: config.outbox });
  const ai = provider ? `${provider.name} ${selected.models.short} → ${selected.models.long}` : 'offline analyzer';
  const mail = mailer.kind === 'outbox' ? `.eml → ${config.outbox}` : `SMTP ${config.email.smtpServer} → ${to}`;
  return new LocalBackend({
    analysis,
    alerts,
    clips,
    mailer,
    image,
    to,
    from: config.email.from,
    maxAttachmentBytes: 20 * 1024 * 1024,
    shortBufferSeconds: config.shortBufferSeconds,
    longBufferSeconds: config.longBufferSeconds,
    description: `local mode (${ai}, ${mail})`,
    stores,
    modelSources: selected.sources,
    log,
  });
}
