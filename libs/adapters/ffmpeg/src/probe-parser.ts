import { AppError, ErrorCode } from '@vigint/contracts';
import { looksLikeInvalidInput } from './invalid-input';
import type { VideoInfo } from './video-info';

/** Containers ffprobe reports for a still image: such a file is not a video even though it has a "video" stream. */
const IMAGE_FORMATS = /(^|,)(image2|[a-z0-9]+_pipe|gif|apng|webp_pipe)(,|$)/;

function num(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** "30000/1001" → 29.97; "0/0" → undefined. */
export function parseRate(value: unknown): number | undefined {
  if (typeof value !== 'string') return num(value);
  const [a, b] = value.split('/').map(Number);
  if (a === undefined || !Number.isFinite(a)) return undefined;
  if (b === undefined) return a > 0 ? a : undefined;
  return Number.isFinite(b) && b > 0 && a > 0 ? a / b : undefined;
}

interface ProbeStream {
  codec_type?: unknown;
  codec_name?: unknown;
  width?: unknown;
  height?: unknown;
  avg_frame_rate?: unknown;
  r_frame_rate?: unknown;
  nb_frames?: unknown;
  nb_read_packets?: unknown;
  duration?: unknown;
  pix_fmt?: unknown;
  bit_rate?: unknown;
  disposition?: { attached_pic?: unknown };
}

/** Bytes the streams' own bitrates account for (mp4 computes them from its sample index). */
function declaredBytes(streams: ProbeStream[], durationSeconds: number): number {
  let bits = 0;
  for (const s of streams) {
    const rate = num(s.bit_rate);
    const seconds = num(s.duration) ?? durationSeconds;
    if (rate !== undefined && rate > 0) bits += rate * seconds;
  }
  return bits / 8;
}

/** Maps ffprobe's JSON to VideoInfo, trusting nothing in it. */
export function parseProbeJson(stdout: string, sizeBytes: number, stderr = ''): VideoInfo {
  let json: { streams?: unknown; format?: Record<string, unknown> };
  try {
    json = JSON.parse(stdout) as typeof json;
  } catch {
    throw new AppError(ErrorCode.InvalidVideo, 'not a video: ffprobe gave no readable description');
  }
  const streams = (Array.isArray(json.streams) ? json.streams : []) as ProbeStream[];
  const format = json.format && typeof json.format === 'object' ? json.format : {};
  const formatName = typeof format.format_name === 'string' ? format.format_name : undefined;
  const video = streams.find((s) => s?.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  if (!video) throw new AppError(ErrorCode.InvalidVideo, 'not a video: no video stream');
  if (formatName && IMAGE_FORMATS.test(formatName)) {
    throw new AppError(ErrorCode.InvalidVideo, `not a video: the file is a still image (${formatName})`);
  }
  if (looksLikeInvalidInput(stderr)) {
    throw new AppError(ErrorCode.InvalidVideo, `invalid video: ${stderr.split('\n')[0]?.slice(0, 200)}`, {
      details: { stderr },
    });
  }
  const width = num(video.width) ?? 0;
  const height = num(video.height) ?? 0;
  const durationSeconds = num(format.duration) ?? num(video.duration) ?? 0;
  if (width <= 0 || height <= 0) throw new AppError(ErrorCode.InvalidVideo, 'not a video: no picture size');
  if (durationSeconds <= 0) throw new AppError(ErrorCode.InvalidVideo, 'not a video: no duration');
  const audio = streams.find((s) => s?.codec_type === 'audio');
  if (formatName?.includes('mp4') && declaredBytes(streams, durationSeconds) > sizeBytes * 1.1 + 8192) {
    // A faststart mp4 cut short keeps its index, so ffprobe is happy; the index promises more bytes than exist.
    throw new AppError(ErrorCode.InvalidVideo, 'invalid video: the file is truncated');
  }
  const frameCount = num(video.nb_frames) ?? num(video.nb_read_packets);
  const info: VideoInfo = {
    durationSeconds,
    width,
    height,
    fps: parseRate(video.avg_frame_rate) ?? parseRate(video.r_frame_rate) ?? 0,
    codec: typeof video.codec_name === 'string' ? video.codec_name : 'unknown',
    sizeBytes,
    hasAudio: audio !== undefined,
  };
  if (frameCount !== undefined) info.frameCount = frameCount;
  if (typeof video.pix_fmt === 'string') info.pixFmt = video.pix_fmt;
  if (formatName) info.formatName = formatName;
  if (audio && typeof audio.codec_name === 'string') info.audioCodec = audio.codec_name;
  const audioBitrate = num(audio?.bit_rate);
  if (audioBitrate !== undefined) info.audioBitrate = audioBitrate;
  const bitRate = num(format.bit_rate);
  if (bitRate !== undefined) info.bitRate = bitRate;
  return info;
}
