import { parseArgs } from 'node:util';
import { UserError } from './user-error';

export interface CliOptions {
  videoInput?: string;
  loop: boolean;
  rtspUrl?: string;
  rtspTransport?: 'tcp' | 'udp' | 'auto';
  configFiles: string[];
  cameraId?: string;
  outbox: string;
  fast: boolean;
  detectFps?: number;
  help: boolean;
}

export const USAGE = `Usage: edge-agent [options]

Watches cameras, sends the frames that show motion to the AI, and e-mails one alert with a clip per incident.

Sources (at least one):
  --video-input FILE        a video file (read in real time unless --fast)
  --loop                    start the file again at its end
  --rtsp-url URL            an RTSP camera (rtsp://user:pass@host:554/path)
  --rtsp-transport MODE     tcp, udp or auto (default auto: TCP, falling back to UDP)
  --config FILE             cameras and settings: YAML or JSON (cameras: [...]), the earlier
                            multi_source_config.json (video_sources) or config.ini; repeatable
  --camera-id ID            id of the camera given with --video-input / --rtsp-url

Processing:
  --outbox DIR              where alerts are written as .eml when no SMTP server is set (default ./outbox)
  --fast                    process a file as fast as the CPU allows; exit at its end
  --detect-fps N            motion frames per second (default 5)
  -h, --help                show this help

Config file (YAML/JSON; every key in docs/agent-config.md):
  cameras: [{ id, name, rtsp_url | video_input, loop, rtsp_transport, enabled, analysis_enabled,
              alert_enabled, threshold (NONE..CRITICAL), language (en, fr), detect_fps, sample_interval,
              scene_memory, cooldown, motion: { threshold, contour_area, lightning_threshold, improve_contrast,
              noise_factor, mask }, record: { pre_capture, post_capture, audio, max_clip } }]
  defaults: { the camera keys above, for every camera of the file }
  api_server_url, short_buffer_duration, long_buffer_duration, watchdog_seconds,
  offline_alert_seconds, segment_seconds
  notify: { ntfy: { server, topic, token }, webhook: { url, secret }, telegram: { botToken, chatId },
            time_zone } (local mode: the first notice at confirm time, before the e-mail)

Environment (overrides files): API_SERVER_URL (distributed mode), VIGINT_API_KEY / API_KEY / SECRET_KEY,
GOOGLE_API_KEY (without it an offline analyzer runs), GEMINI_MODEL, GEMINI_BASE_URL, EMAIL_SMTP_SERVER,
EMAIL_SMTP_PORT, EMAIL_USERNAME, EMAIL_PASSWORD, EMAIL_FROM, EMAIL_TO, FFMPEG_PATH, LOG_LEVEL,
LOG_FORMAT (json or pretty; default pretty on a terminal), FAILOVER_AFTER_SECONDS (distributed mode:
mail incidents locally when the gateway is away this long and GOOGLE_API_KEY + EMAIL_SMTP_SERVER are set). All of them: docs/configuration.md.
`;

/** Parses the command line; any mistake becomes a UserError naming the flag. */
export function parseCli(argv: string[]): CliOptions {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        'video-input': { type: 'string' },
        loop: { type: 'boolean', default: false },
        'rtsp-url': { type: 'string' },
        'rtsp-transport': { type: 'string' },
        config: { type: 'string', multiple: true },
        'camera-id': { type: 'string' },
        outbox: { type: 'string', default: 'outbox' },
        fast: { type: 'boolean', default: false },
        'detect-fps': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    // node's messages already name the flag ("Unknown option '--foo'"); drop its hint about '--' positionals.
    const msg = (err as Error).message.split('. To specify')[0];
    throw new UserError(`${msg} (see --help)`);
  }
  const str = (k: string) => values[k] as string | undefined;
  const transport = str('rtsp-transport');
  if (transport !== undefined && !['tcp', 'udp', 'auto'].includes(transport)) {
    throw new UserError(`invalid --rtsp-transport "${transport}": use tcp, udp or auto`);
  }
  let detectFps: number | undefined;
  if (str('detect-fps') !== undefined) {
    detectFps = Number(str('detect-fps'));
    if (!Number.isFinite(detectFps) || detectFps <= 0 || detectFps > 30) {
      throw new UserError(`invalid --detect-fps "${str('detect-fps')}": a number of frames per second, 0 < N <= 30`);
    }
  }
  const cameraId = str('camera-id');
  if (cameraId !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(cameraId)) {
    throw new UserError(`invalid --camera-id "${cameraId}": letters, digits, '.', '_' or '-' (at most 64)`);
  }
  for (const k of ['video-input', 'rtsp-url', 'outbox']) {
    if (str(k) === '') throw new UserError(`--${k} needs a value`);
  }
  return {
    videoInput: str('video-input'),
    loop: values.loop === true,
    rtspUrl: str('rtsp-url'),
    rtspTransport: transport as CliOptions['rtspTransport'],
    configFiles: (values.config as string[] | undefined) ?? [],
    cameraId,
    outbox: str('outbox') ?? 'outbox',
    fast: values.fast === true,
    detectFps,
    help: values.help === true,
  };
}
