import { AppError, ErrorCode } from '@vigint/contracts';
import { refusedByAllowList } from './media-allowlist';
import { parseRate } from './probe-parser';
import { redactCredentials } from './redact';

/** What ffprobe tells us about a camera source (a file or an RTSP stream) before capture starts. */
export interface SourceInfo {
  /** ffprobe's demuxer name, e.g. `avi`, `mov,mp4,m4a,3gp,3g2,mj2`, `rtsp`. */
  formatName: string;
  video: {
    codec: string;
    profile?: string;
    width: number;
    height: number;
    /** 0 when the source does not say. */
    fps: number;
    /** The stream reorders frames (B-frames): pts and dts differ. */
    bFrames: boolean;
  };
  /** The first audio stream, if any. */
  audio?: { codec: string; sampleRate?: number; channels?: number };
  /** Video packets of the probed sample came without a presentation time (H.264 in AVI does this). */
  missingTimestamps: boolean;
}

/**
 * A camera source that cannot be read: the message names the source (credentials hidden) and says why in
 * words a person can act on. `reason` is that explanation alone, for a status line.
 */
export class SourceUnreadableError extends AppError {
  readonly source: string;
  readonly reason: string;

  constructor(source: string, reason: string, options: { cause?: unknown; details?: unknown } = {}) {
    const shown = redactCredentials(source);
    super(ErrorCode.InvalidVideo, `camera source ${shown} cannot be read: ${reason}`, {
      field: 'source',
      ...options,
    });
    this.source = shown;
    this.reason = reason;
  }
}

export function isSourceUnreadable(err: unknown): err is SourceUnreadableError {
  return err instanceof SourceUnreadableError;
}

/** Known ffmpeg/ffprobe failures → a reason a person understands (never ffmpeg's own line). */
const FAILURE_REASONS: ReadonlyArray<[RegExp, string | ((m: RegExpExecArray) => string)]> = [
  [/No such file or directory/i, 'the file does not exist'],
  [/Permission denied/i, 'permission denied (the agent cannot read it)'],
  [/401 Unauthorized/i, 'the camera refused the user name or password (RTSP 401)'],
  [/403 Forbidden/i, 'the camera refused access (RTSP 403)'],
  [/404 Not Found/i, 'the camera has no stream at this path (RTSP 404)'],
  [/Connection refused/i, 'connection refused: nothing listens at that address and port'],
  [/Connection timed out|timed out|Operation timed out/i, 'no answer from the camera (timeout)'],
  [
    /No route to host|Network is unreachable|Name or service not known|Temporary failure in name resolution/i,
    'the camera address cannot be reached',
  ],
  [
    /moov atom not found/i,
    'the file is incomplete (an MP4/MOV whose index is missing: still being written, or cut short)',
  ],
  [/EBML header parsing failed/i, 'the file is not a valid Matroska/MKV file'],
  [/Invalid data found when processing input/i, 'it is not a video ffmpeg can read (unknown or damaged format)'],
  [/does not contain any stream|no video stream/i, 'it has no video stream'],
];

export function describeSourceFailure(stderr: string): string {
  const refused = refusedByAllowList(stderr);
  if (refused) {
    return refused.what === 'format'
      ? `its format${refused.name ? ` (${refused.name.split(',')[0]})` : ''} is not accepted for a camera (playlists, manifests and lists are refused)`
      : `it needs the ${refused.name ?? 'a'} protocol, which is not accepted for a camera`;
  }
  for (const [re, reason] of FAILURE_REASONS) {
    const m = re.exec(stderr);
    if (m) return typeof reason === 'string' ? reason : reason(m);
  }
  return 'ffmpeg could not open it as a video';
}

interface RawStream {
  codec_type?: unknown;
  codec_name?: unknown;
  profile?: unknown;
  width?: unknown;
  height?: unknown;
  avg_frame_rate?: unknown;
  r_frame_rate?: unknown;
  has_b_frames?: unknown;
  sample_rate?: unknown;
  channels?: unknown;
  disposition?: { attached_pic?: unknown };
}
interface RawPacket {
  codec_type?: unknown;
  pts_time?: unknown;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}
function num(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** ffprobe JSON (`-show_format -show_streams -show_packets`) → SourceInfo; throws SourceUnreadableError. */
export function parseSourceProbe(source: string, stdout: string): SourceInfo {
  let json: { streams?: unknown; format?: { format_name?: unknown }; packets?: unknown };
  try {
    json = JSON.parse(stdout) as typeof json;
  } catch {
    throw new SourceUnreadableError(source, 'ffprobe gave no readable description');
  }
  const streams = (Array.isArray(json.streams) ? json.streams : []) as RawStream[];
  const packets = (Array.isArray(json.packets) ? json.packets : []) as RawPacket[];
  const v = streams.find((s) => s?.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  if (!v) throw new SourceUnreadableError(source, 'it has no video stream');
  const width = num(v.width) ?? 0;
  const height = num(v.height) ?? 0;
  if (width <= 0 || height <= 0) throw new SourceUnreadableError(source, 'its video stream has no picture size');
  const a = streams.find((s) => s?.codec_type === 'audio');
  const videoPackets = packets.filter((p) => p?.codec_type === 'video');
  const info: SourceInfo = {
    formatName: str(json.format?.format_name) ?? 'unknown',
    video: {
      codec: str(v.codec_name) ?? 'unknown',
      width,
      height,
      fps: parseRate(v.avg_frame_rate) ?? parseRate(v.r_frame_rate) ?? 0,
      bFrames: (num(v.has_b_frames) ?? 0) > 0,
    },
    missingTimestamps: videoPackets.length > 0 && videoPackets.some((p) => str(p.pts_time) === undefined),
  };
  const profile = str(v.profile);
  if (profile) info.video.profile = profile;
  if (a) {
    info.audio = { codec: str(a.codec_name) ?? 'unknown' };
    const rate = num(a.sample_rate);
    const ch = num(a.channels);
    if (rate !== undefined) info.audio.sampleRate = rate;
    if (ch !== undefined) info.audio.channels = ch;
  }
  return info;
}
