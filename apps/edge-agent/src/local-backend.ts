import { AlertLanguage, AlertStatus, BufferType, type AnalysisResult } from '@vigint/contracts';
import {
  AiPricer,
  AlertService,
  AnalysisService,
  buildPriceTable,
  confirmUnanswered,
  DeliveryPolicy,
  createLocalStores,
  FileAlertLedger,
  FirstNoticeService,
  MemoryAlertLedger,
  noticeSettingsFrom,
  selectAnalysisProvider,
  selfHostedPrices,
  BudgetService,
  FileSpendStore,
  MailBudgetNotifier,
  MemorySpendStore,
  type CameraStore,
  type IncidentStore,
} from '@vigint/alerting';
import { ClipService } from '@vigint/clip';
import type { FfmpegAdapter } from '@vigint/ffmpeg';
import { GeminiAdapter } from '@vigint/gemini';
import { OpenAiAdapter } from '@vigint/openai';
import type { ImageAdapter } from '@vigint/image';
import type { Logger } from '@vigint/logger';
import { createMailer, type MailTransport } from '@vigint/mailer';
import { FileNoticeLedger, MemoryNoticeLedger, NotifyAdapter } from '@vigint/notify';
import type {
  AnalyzeRequest,
  CameraNotice,
  CameraStatus,
  DeliveryResult,
  Incident,
  IncidentBackend,
  OpeningIncident,
} from './backend';
import type { AgentConfig } from './config';
import { cameraBeatOf, incidentOpenOf } from './backend';
import { UserError } from './user-error';
import { join } from 'node:path';

/** Local mode's one client: the key of its AI spend counters. */
const LOCAL_CLIENT_ID = 'local';

export interface LocalBackendOptions {
  analysis: AnalysisService;
  /** The delivery policy shared with the worker: same footage, same e-mail. */
  policy: DeliveryPolicy;
  mailer: MailTransport;
  image: ImageAdapter;
  to: string;
  from: string;
  shortBufferSeconds: number;
  longBufferSeconds: number;
  description: string;
  /** Incidents and cameras on record (JSON files beside the outbox). */
  stores: { incidents: IncidentStore; cameras: CameraStore };
  /** The first notice through the channels of the config's `notify` key; absent: e-mail only. */
  firstNotice?: FirstNoticeService;
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
      // Local mode is one client: its budget (AI_BUDGET_*_USD) is counted in ai-spend.json beside the outbox.
      clientId: LOCAL_CLIENT_ID,
      shortSpanSeconds: this.o.shortBufferSeconds,
      longSpanSeconds: this.o.longBufferSeconds,
      signal: req.signal,
    });
  }

  async deliver(incident: Incident, clipFile: string | undefined): Promise<DeliveryResult> {
    // Masks were applied by the pipeline (clip and snapshot) before this call.
    const a = incident.analysis;
    const outcome = await this.o.policy.deliverIncident({
      tenant: LOCAL_TENANT,
      incidentKey: incident.idempotencyKey,
      alertKey: incident.idempotencyKey,
      clientKey: LOCAL_TENANT,
      to: this.o.to,
      cameraId: incident.cameraId,
      cameraName: incident.cameraName,
      riskLevel: incident.riskLevel,
      incidentType: a.incident_type,
      analysis: a.analysis || a.description,
      detailedAnalysis: a.detailed_analysis,
      confirmUnanswered: confirmUnanswered(a),
      language: incident.language,
      occurredAt: incident.startedAt,
      endedAt: incident.endedAt,
      frames: incident.snapshot ? [incident.snapshot] : [],
      clip: clipFile ? { path: clipFile, filename: `${incident.idempotencyKey}.mp4` } : undefined,
      clipError: incident.clipError,
    });
    const where = (id?: string) => (this.o.mailer.kind === 'outbox' ? (id ?? '') : `smtp:${this.o.to}`);
    const clipBytes = outcome.clipAttached ? outcome.clipBytes : undefined;
    const detail = incident.clipError ? `no clip: ${incident.clipError}` : undefined;
    switch (outcome.status) {
      case AlertStatus.Delivered:
        return {
          status: outcome.replayed ? 'duplicate' : 'sent',
          destination: where(outcome.messageId),
          messageId: outcome.messageId,
          clipBytes,
          ...(detail ? { detail } : {}),
        };
      case AlertStatus.Suppressed:
        return { status: 'suppressed', destination: '', detail: outcome.suppressedReason, clipBytes };
      case AlertStatus.Queued:
        return { status: 'queued', destination: where(outcome.messageId), clipBytes };
      default:
        return { status: 'failed', destination: '', detail: 'delivery failed', clipBytes };
    }
  }

  async announce(incident: OpeningIncident): Promise<void> {
    const open = incidentOpenOf(incident);
    const record = await this.o.stores.incidents
      .open(LOCAL_TENANT, open)
      .catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'could not record the incident'));
    if (!this.o.firstNotice) return;
    // The first notice, at confirm time: the e-mail with the clip follows after the post-roll.
    await this.o.firstNotice
      .send({
        clientId: LOCAL_TENANT,
        cameraId: incident.cameraId,
        incidentId: record ? record.id : incident.idempotencyKey,
        idempotencyKey: incident.idempotencyKey,
        cameraName: incident.cameraName,
        riskLevel: incident.riskLevel,
        incidentType: open.incidentType,
        summary: open.summary,
        occurredAt: incident.startedAt,
        language: incident.language,
        snapshot: incident.snapshot,
      })
      .catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'first notice failed'));
  }

  async update(incident: Incident): Promise<void> {
    await this.o.stores.incidents
      .update(LOCAL_TENANT, incident.idempotencyKey, { endedAt: incident.endedAt.toISOString() })
      .catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'could not update the incident'));
  }

  async heartbeat(cameras: CameraStatus[]): Promise<void> {
    for (const c of cameras) {
      await this.o.stores.cameras
        .heartbeat(LOCAL_TENANT, cameraBeatOf(c))
        .catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'could not record the camera'));
    }
  }

  async notify(notice: CameraNotice): Promise<DeliveryResult> {
    const res = await this.o.policy.deliverNotice({
      alertKey: notice.idempotencyKey,
      clientKey: LOCAL_TENANT,
      to: this.o.to,
      kind: notice.kind,
      cameraId: notice.cameraId,
      cameraName: notice.cameraName,
      at: notice.at,
      outageStartedAt: notice.outageStartedAt,
      seconds: notice.seconds,
      language: notice.language ?? AlertLanguage.En,
    });
    return {
      status: res.replayed ? 'duplicate' : 'sent',
      destination: this.o.mailer.kind === 'outbox' ? (res.messageId ?? '') : `smtp:${this.o.to}`,
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
    openai: (c) => new OpenAiAdapter({ baseUrl: c.AI_BASE_URL!, apiKey: c.AI_API_KEY, log }),
  });
  const provider = selected.provider;
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
  const budgetTo = config.email.to ?? 'alerts@localhost';
  const budget =
    config.ai.AI_BUDGET_DAILY_USD !== undefined || config.ai.AI_BUDGET_MONTHLY_USD !== undefined
      ? new BudgetService({
          // --fast back-tests stand alone: their spend is not added to the live cameras' day.
          store: config.fast ? new MemorySpendStore() : new FileSpendStore(join(config.outbox, 'ai-spend.json')),
          defaults: { dailyUsd: config.ai.AI_BUDGET_DAILY_USD, monthlyUsd: config.ai.AI_BUDGET_MONTHLY_USD },
          notifier: new MailBudgetNotifier({
            mailer,
            from: config.email.from,
            recipient: async () => ({ email: budgetTo, language: config.cameras[0]?.language ?? AlertLanguage.En }),
            log,
          }),
          log,
        })
      : undefined;
  const analysis = new AnalysisService({
    provider,
    image,
    models: selected.models,
    fallbackModel: selected.fallbackModel,
    pricer: new AiPricer(buildPriceTable(config.ai.AI_PRICES_JSON, selfHostedPrices(config.ai)), log),
    budget,
    confirmThinking: config.ai.GEMINI_CONFIRM_THINKING,
    log,
  });
  // Back-testing a file with --fast: every run stands alone (a file ledger would suppress the same scene
  // replayed a minute later). Live cameras keep a ledger beside the outbox so a restart never mails twice.
  const ledger = config.fast ? new MemoryAlertLedger() : new FileAlertLedger(config.outbox);
  const to = config.email.to ?? 'alerts@localhost';
  const clips = new ClipService(ffmpeg, log, image);
  // The same budget the worker applies (EMAIL_MAX_ATTACHMENT_MB, 20 MB by default) and the same cooldown.
  const clipBudgetBytes = clips.emailBudgetBytes(20 * 1024 * 1024);
  const alerts = new AlertService({
    mailer,
    ledger,
    image,
    from: config.email.from,
    log,
    maxClipBytes: clipBudgetBytes,
  });
  const stores = createLocalStores(config.fast ? {} : { dir: config.outbox });
  const policy = new DeliveryPolicy({
    alerts,
    clipBudgetBytes,
    compressor: clips,
    incidents: stores.incidents,
    cameras: stores.cameras,
    log,
  });
  const notify = config.notify;
  const firstNotice = notify
    ? new FirstNoticeService({
        notify: new NotifyAdapter({ log }),
        // One notice per incident, across restarts too (beside the outbox, like the alert ledger); --fast
        // back-testing runs stand alone.
        ledger: config.fast ? new MemoryNoticeLedger() : new FileNoticeLedger(config.outbox),
        settings: noticeSettingsFrom(stores.cameras, async () => ({
          channels: notify.channels,
          timeZone: notify.timeZone,
        })),
        deliveryLog: stores.incidents,
        telegramApiBase: notify.telegramApiBase,
        log,
      })
    : undefined;
  const ai = provider ? `${provider.name} ${selected.models.short} → ${selected.models.long}` : 'offline analyzer';
  const mail = mailer.kind === 'outbox' ? `.eml → ${config.outbox}` : `SMTP ${config.email.smtpServer} → ${to}`;
  return new LocalBackend({
    analysis,
    policy,
    mailer,
    image,
    to,
    from: config.email.from,
    shortBufferSeconds: config.shortBufferSeconds,
    longBufferSeconds: config.longBufferSeconds,
    description: `local mode (${ai}, ${mail})`,
    stores,
    firstNotice,
    modelSources: selected.sources,
    log,
  });
}
