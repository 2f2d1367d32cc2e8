import { join } from 'node:path';
import { AppError, CameraState } from '@vigint/contracts';
import { FfmpegAdapter, redactCredentials, resolveFfmpeg } from '@vigint/ffmpeg';
import { ImageAdapter } from '@vigint/image';
import { createLogger, logFormatFor, redactUrl, type Logger } from '@vigint/logger';
import type { AnalyzeRequest, IncidentBackend } from './backend';
import { FailoverBackend } from './failover-backend';
import { CameraCapture } from './camera-capture';
import { parseCli, USAGE } from './cli';
import { loadAgentConfig, type AgentConfig } from './config';
import { createLocalBackend } from './local-backend';
import { CameraPipeline } from './pipeline';
import { aiOfflineReason, AnalysisService, DEFAULT_MODELS } from '@vigint/alerting';
import { ClipService, PrivacyMasker } from '@vigint/clip';
import { formatSummary, StatusReporter, type CameraView } from './status-reporter';
import { makeCameraTempDir, sweepStaleTempDirs } from './temp-dirs';
import { UserError } from './user-error';

export async function createBackend(
  config: AgentConfig,
  image: ImageAdapter,
  ffmpeg: FfmpegAdapter,
  log: Logger,
): Promise<IncidentBackend> {
  if (config.apiServerUrl) {
    if (!config.apiKey)
      throw new UserError('API_SERVER_URL is set but no API key: set VIGINT_API_KEY (or API_KEY, SECRET_KEY)');
    const { createRemoteBackend } = await import('./remote/index');
    const { VigintClient } = await import('@vigint/api-client');
    const offline = new AnalysisService({ image, models: DEFAULT_MODELS, log });
    const offlineAnalyze = (req: AnalyzeRequest) => offline.analyze({ ...req, bufferType: req.bufferType });
    // The remote backend's fallback needs the failover, which needs the remote backend.
    const ref: { failover?: FailoverBackend } = {};
    const remote = await createRemoteBackend({
      apiServerUrl: config.apiServerUrl,
      apiKey: config.apiKey,
      outboxDir: join(config.outbox, 'pending-remote'),
      drainTimeoutMs: config.outboxDrainSeconds * 1000,
      image,
      log,
      camerasWithLanguage: new Set(config.cameras.filter((c) => c.languageSet).map((c) => c.id)),
      // Gateway unreachable: the agent's own AI once the failover delay is over, else the offline analyzer
      // (incidents then wait in the outbox).
      fallbackAnalyze: (req) =>
        ref.failover ? ref.failover.analyzeWithoutGateway(req, () => offlineAnalyze(req)) : offlineAnalyze(req),
    });
    // Failover needs the agent's own AI key and SMTP server: an .eml in a folder is no alert during an outage.
    const missing = [aiOfflineReason(config.ai), !config.email.smtpServer && 'no EMAIL_SMTP_SERVER']
      .filter(Boolean)
      .join(', ');
    const probe = new VigintClient({ baseUrl: config.apiServerUrl, apiKey: config.apiKey, log });
    ref.failover = new FailoverBackend({
      remote,
      local: missing ? undefined : createLocalBackend(config, { image, ffmpeg, log }),
      localMissing: missing || undefined,
      probe: (signal) => probe.healthCheck({ signal, retries: 0 }),
      failoverAfterMs: config.failoverAfterSeconds * 1000,
      log,
    });
    return ref.failover;
  }
  const local = createLocalBackend(config, { image, ffmpeg, log });
  await local.checkModels();
  return local;
}

export async function main(argv: string[]): Promise<number> {
  const cli = parseCli(argv);
  if (cli.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const config = loadAgentConfig(cli);
  const tty = process.stdout.isTTY === true;
  // Logs go to stderr so stdout carries the human lines (start, status, summary). On a terminal: readable lines,
  // warnings and above unless LOG_LEVEL says; piped or LOG_FORMAT=json: JSON for services and log collectors.
  const log = createLogger({
    name: 'edge-agent',
    level: config.logLevel ?? (tty ? 'warn' : 'info'),
    destination: process.stderr,
    format: logFormatFor(process.stderr, config.logFormat),
  });
  const binaries = resolveFfmpeg();
  const ffmpeg = new FfmpegAdapter(log, binaries);
  const image = new ImageAdapter();
  const backend = await createBackend(config, image, ffmpeg, log);

  const swept = await sweepStaleTempDirs();
  if (swept.length > 0) log.info({ count: swept.length }, 'removed temp dirs left by a killed agent');
  const out = new StatusReporter(
    process.stdout,
    () => views(),
    () => (backend instanceof FailoverBackend ? backend.status() : undefined),
  );
  out.print(`Vigint edge agent: ${config.cameras.length} camera(s), ${backend.describe()}`);
  const aiOffline = aiOfflineReason(config.ai);
  if (!config.apiServerUrl && aiOffline) {
    out.print(`${aiOffline}: using the offline motion-only analyzer (not an AI analysis).`);
  }

  const clips = new ClipService(ffmpeg, log, image);
  const privacy = new PrivacyMasker(image, ffmpeg);
  const pipelines: CameraPipeline[] = [];
  const captures: CameraCapture[] = [];
  for (const cam of config.cameras) {
    const dir = await makeCameraTempDir(cam.id);
    const capture = new CameraCapture(
      cam,
      ffmpeg,
      {
        segmentSeconds: config.segmentSeconds,
        retainSeconds: Math.max(cam.record.pre_capture, config.longBufferSeconds) + config.segmentSeconds + 2,
        watchdogSeconds: config.watchdogSeconds,
        offlineAlertSeconds: config.offlineAlertSeconds,
        fast: config.fast && cam.kind === 'file',
        dir,
      },
      log,
    );
    captures.push(capture);
    pipelines.push(
      new CameraPipeline(
        cam,
        capture,
        backend,
        clips,
        {
          fast: config.fast && cam.kind === 'file',
          shortBufferSeconds: config.shortBufferSeconds,
          longBufferSeconds: config.longBufferSeconds,
          workDir: join(dir, 'clips'),
          privacy,
        },
        log,
      ),
    );
    out.print(
      `  camera ${cam.id}: ${cam.kind === 'rtsp' ? redactCredentials(redactUrl(cam.source)) : cam.source}` +
        `${cam.kind === 'file' ? (config.fast ? ' (fast)' : ' (real time)') : ` (rtsp ${cam.rtspTransport})`}` +
        `, detect ${cam.detectFps} fps, threshold ${cam.threshold}, pre/post ${cam.record.pre_capture}/${cam.record.post_capture} s` +
        `${cam.motion.mask.length ? `, ${cam.motion.mask.length} mask(s)` : ''}`,
    );
  }
  const views = (): CameraView[] =>
    pipelines.map((p, i) => ({ id: p.camera.id, state: captures[i]!.state, stats: p.stats, motion: p.motion }));
  out.start();
  // Camera states for the incident store / GET /api/cameras: every 30 s, and at once when a state changes.
  const beat = () =>
    backend.heartbeat(
      pipelines.map((p, i) => ({
        cameraId: p.camera.id,
        cameraName: p.camera.name,
        state: captures[i]!.state,
        lastFrameAt: p.lastFrameWall ? new Date(p.lastFrameWall) : null,
        alertThreshold: p.camera.threshold,
      })),
    );
  let beatStates = '';
  let beatAt = 0;
  const beatTimer = setInterval(() => {
    const states = captures.map((c) => c.state).join(',');
    if (states === beatStates && Date.now() - beatAt < 30_000) return;
    beatStates = states;
    beatAt = Date.now();
    void beat();
  }, 1000);
  beatTimer.unref();

  let stopping = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopping) {
      out.print(`${sig} again: exiting now`);
      process.exit(130);
    }
    stopping = true;
    out.print(`${sig}: stopping cameras, finishing open incidents (again to force)`);
    for (const p of pipelines) void p.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let states: CameraState[];
  try {
    states = await Promise.all(pipelines.map((p) => p.run()));
  } finally {
    out.stop();
    clearInterval(beatTimer);
    await beat();
    // Footage is personal data: the temp dirs go even when something failed.
    await backend.close().catch((err: unknown) => log.error({ err: (err as Error).message }, 'backend close failed'));
    await Promise.all(captures.map((c) => c.cleanup()));
  }
  out.print(formatSummary(views()));
  log.info({ summary: views().map((v) => ({ cameraId: v.id, state: v.state, ...v.stats })) }, 'summary');
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  const failed = states.filter((s) => s === CameraState.Failed).length;
  if (failed > 0) {
    for (const [i, s] of states.entries())
      if (s === CameraState.Failed)
        out.print(`camera ${config.cameras[i]!.id} failed: ${captures[i]!.failure?.message ?? 'see the log above'}`);
  }
  const alertFailures = pipelines.reduce((n, p) => n + p.stats.alerts.filter((a) => a.status === 'failed').length, 0);
  if (alertFailures > 0) out.print(`${alertFailures} alert(s) could not be delivered (see the log)`);
  return failed === states.length || alertFailures > 0 ? 1 : 0;
}

const isMain = process.argv[1] !== undefined && /main\.(ts|js|mjs)$/.test(process.argv[1]);
if (isMain) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      if (err instanceof UserError) {
        process.stderr.write(`edge-agent: ${err.message}\n`);
        process.exitCode = err.exitCode;
      } else if (err instanceof AppError && err.permanent) {
        process.stderr.write(`edge-agent: ${err.message}\n`);
        process.exitCode = 2;
      } else if (err instanceof AppError) {
        process.stderr.write(`edge-agent: ${err.message} (${err.code})\n`);
        process.exitCode = 1;
      } else {
        process.stderr.write(`edge-agent: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
        process.exitCode = 1;
      }
    },
  );
}
