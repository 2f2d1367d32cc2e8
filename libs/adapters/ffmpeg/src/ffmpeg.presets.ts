import { allowListArgs, CALLER_MEDIA, callerMediaInputArgs, FRAME_PIPE, SEGMENT_LIST } from './media-allowlist';

/**
 * ffmpeg argument lists as named presets (data, in the manner of Frigate's ffmpeg_presets.py).
 * Services build a plan object and pick a preset; nobody string-builds a command line.
 */

/** Flags every ffmpeg run gets: no banner, only errors on stderr (bounded capture), overwrite outputs. */
export const GLOBAL_ARGS: readonly string[] = ['-hide_banner', '-loglevel', 'error', '-y'];

/** Flags for runs that do not read stdin: keeps ffmpeg from grabbing the terminal or a parent's pipe. */
export const NO_STDIN_ARGS: readonly string[] = ['-nostdin'];

/**
 * Flags of every ffprobe call: machine-readable JSON of the container and every stream. The caller-media
 * allow-list applies: probe() is what the gateway runs on uploads, and our own outputs are all in it.
 */
export function probeArgs(file: string, options: { countFrames?: boolean } = {}): string[] {
  return [
    '-v',
    'error',
    ...allowListArgs(CALLER_MEDIA),
    '-print_format',
    'json',
    '-show_format',
    '-show_streams',
    ...(options.countFrames ? ['-count_packets'] : []),
    file,
  ];
}

export type EncodeFormat = 'mp4' | 'webm';

/** The H.264 video of everything we encode for people: yuv420p, what phones and mail clients play. */
const H264_VIDEO_ARGS: readonly string[] = [
  '-c:v',
  'libx264',
  '-preset',
  'veryfast',
  '-crf',
  '23',
  '-pix_fmt',
  'yuv420p',
];

/**
 * Output codec flags per container. H.264 with yuv420p and faststart is what phones and mail clients
 * play inline; VP9 in WebM for browsers that ask for it.
 */
export const ENCODE_PRESETS: Readonly<Record<EncodeFormat, readonly string[]>> = {
  mp4: [...H264_VIDEO_ARGS, '-movflags', '+faststart', '-f', 'mp4'],
  webm: [
    '-c:v',
    'libvpx-vp9',
    '-b:v',
    '0',
    '-crf',
    '34',
    '-deadline',
    'realtime',
    '-cpu-used',
    '8',
    '-row-mt',
    '1',
    '-pix_fmt',
    'yuv420p',
    '-f',
    'webm',
  ],
};

/** Reads a stream of JPEG images from stdin at a fixed rate (frame n gets timestamp n/fps). */
export function imagePipeInputArgs(fps: number): string[] {
  return [...allowListArgs(FRAME_PIPE), '-f', 'image2pipe', '-c:v', 'mjpeg', '-framerate', String(fps), '-i', 'pipe:0'];
}

/**
 * Scales into an exact even-sized box keeping the aspect ratio (yuv420p needs even dimensions; frames of
 * another size are letterboxed instead of breaking the encoder).
 */
export function fitEvenFilter(width: number, height: number): string {
  return (
    `scale=${width}:${height}:force_original_aspect_ratio=decrease,` +
    `pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2,setsar=1,format=yuv420p`
  );
}

/** Frames → video: image pipe in, one encode preset out, constant frame rate. */
export function framesToVideoArgs(plan: {
  fps: number;
  width: number;
  height: number;
  format: EncodeFormat;
  outFile: string;
}): string[] {
  return [
    ...imagePipeInputArgs(plan.fps),
    '-vf',
    fitEvenFilter(plan.width, plan.height),
    '-an',
    ...ENCODE_PRESETS[plan.format],
    plan.outFile,
  ];
}

export interface SizeTargetPlan {
  inFile: string;
  outFile: string;
  /** Target video bitrate, bits/s. */
  videoBitrate: number;
  /** Output size; omitted keeps the input's. Always even. */
  width?: number;
  height?: number;
  /** Output frame rate; omitted keeps the input's. */
  fps?: number;
  /** Audio bitrate, bits/s; 0 drops audio. */
  audioBitrate: number;
  /** Two-pass: `1` analyses (writes the pass log), `2` encodes with it; omitted = one ABR pass. */
  pass?: 1 | 2;
  passLogFile?: string;
}

/**
 * Size-targeted H.264: average bitrate with a tight VBV buffer so the file size follows the bitrate,
 * the container ready for streaming (faststart) and phone-playable (yuv420p).
 */
export function sizeTargetedH264Args(plan: SizeTargetPlan): string[] {
  const kbps = Math.max(1, Math.floor(plan.videoBitrate / 1000));
  const filters: string[] = [];
  if (plan.width && plan.height) filters.push(`scale=${plan.width}:${plan.height}:flags=bicubic`);
  if (plan.fps) filters.push(`fps=${plan.fps}`);
  filters.push('format=yuv420p');
  const passArgs = plan.pass ? ['-pass', String(plan.pass), '-passlogfile', plan.passLogFile ?? 'ffmpeg2pass'] : [];
  const audio =
    plan.pass === 1 || plan.audioBitrate <= 0
      ? ['-an']
      : [
          '-c:a',
          'aac',
          '-b:a',
          `${Math.floor(plan.audioBitrate / 1000)}k`,
          ...(plan.audioBitrate < 64_000 ? ['-ac', '1'] : []),
        ];
  const out = plan.pass === 1 ? ['-f', 'null', '/dev/null'] : ['-movflags', '+faststart', '-f', 'mp4', plan.outFile];
  return [
    // The file to compress is the caller's upload.
    ...callerMediaInputArgs(plan.inFile),
    '-map',
    '0:v:0',
    ...(plan.pass === 1 || plan.audioBitrate <= 0 ? [] : ['-map', '0:a:0?']),
    '-vf',
    filters.join(','),
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-b:v',
    `${kbps}k`,
    '-maxrate',
    `${Math.floor(kbps * 1.3)}k`,
    '-bufsize',
    `${kbps * 2}k`,
    ...passArgs,
    ...audio,
    '-map_metadata',
    '-1',
    ...out,
  ];
}

/** Copies the input untouched except for moving the index to the front. */
export function remuxFaststartArgs(inFile: string, outFile: string): string[] {
  return [...callerMediaInputArgs(inFile), '-map', '0', '-c', 'copy', '-movflags', '+faststart', outFile];
}

/**
 * Joins recorded segments by stream copy (concat demuxer) into one Matroska file: no decode, no encode.
 * Matroska accepts whatever the segments hold (H.264/H.265, AAC/PCM/Opus) and takes timestamps as they come.
 */
export function concatCopyArgs(plan: { listFile: string; outFile: string }): string[] {
  return [
    ...allowListArgs(SEGMENT_LIST),
    '-f',
    'concat',
    '-safe',
    '0',
    '-i',
    plan.listFile,
    '-map',
    '0:v:0',
    '-map',
    '0:a:0?',
    '-c',
    'copy',
    '-f',
    'matroska',
    plan.outFile,
  ];
}

/**
 * Cuts [startTime, endTime] (seconds) out of one file by stream copy into a faststart mp4. Input
 * seeking lands on the keyframe at or before `startTime`, so the clip may begin slightly early: that
 * only adds pre-roll, and the clip starts on a decodable frame. (The concat demuxer itself does not
 * seek inside its list, hence the join first.)
 */
export function cutCopyArgs(plan: {
  inFile: string;
  startTime: number;
  endTime: number;
  outFile: string;
  /** Keep the first audio stream (default true); `transcode` makes it AAC (G.711/PCM do not play in MP4 players). */
  audio?: boolean | 'transcode';
}): string[] {
  const audio = plan.audio ?? true;
  return [
    ...clipWindowArgs(plan),
    ...(audio === false ? ['-an'] : ['-map', '0:a:0?']),
    '-c:v',
    'copy',
    ...(audio === 'transcode' ? CLIP_AUDIO_ARGS : audio ? ['-c:a', 'copy'] : []),
    '-avoid_negative_ts',
    'make_zero',
    ...mp4OutArgs(plan.outFile),
  ];
}

/** [startTime, endTime] of one file, its first video stream: the input side of both clip presets. */
function clipWindowArgs(plan: { inFile: string; startTime: number; endTime: number }): string[] {
  return [
    ...['-ss', plan.startTime.toFixed(3), '-to', plan.endTime.toFixed(3)],
    ...['-i', plan.inFile, '-map', '0:v:0'],
  ];
}

/** A faststart MP4 (mail clients and browsers play it before the whole file is in). */
function mp4OutArgs(outFile: string): string[] {
  return ['-movflags', '+faststart', '-f', 'mp4', outFile];
}

/** Audio of a clip attached to an e-mail: AAC, what every phone and web mail plays in MP4. */
export const CLIP_AUDIO_ARGS: readonly string[] = ['-c:a', 'aac', '-b:a', '96k'];

/**
 * Re-encodes [startTime, endTime] of one file into the e-mail format (H.264 yuv420p + AAC in faststart
 * MP4). Input seeking while transcoding decodes from the keyframe before `startTime` and drops frames up to
 * it, so the clip starts on time whatever the keyframe spacing (long-GOP cameras), and H.265 becomes H.264.
 */
export function cutTranscodeArgs(plan: {
  inFile: string;
  startTime: number;
  endTime: number;
  outFile: string;
  audio: boolean;
}): string[] {
  return [
    ...clipWindowArgs(plan),
    ...(plan.audio ? ['-map', '0:a:0?', ...CLIP_AUDIO_ARGS] : ['-an']),
    ...H264_VIDEO_ARGS,
    '-map_metadata',
    '-1',
    ...mp4OutArgs(plan.outFile),
  ];
}

/** Presentation times of the video keyframes of one of our files (packets only: no decoding). */
export function keyframeTimesArgs(file: string): string[] {
  return [
    '-v',
    'error',
    ...allowListArgs(CALLER_MEDIA),
    '-select_streams',
    'v:0',
    '-show_entries',
    'packet=pts_time,flags',
    '-of',
    'csv=p=0',
    file,
  ];
}

/** `pts_time,flags` lines → sorted keyframe times. */
export function parseKeyframeTimes(csv: string): number[] {
  const out: number[] = [];
  for (const line of csv.split('\n')) {
    const [pts, flags] = line.trim().split(',');
    const t = Number(pts);
    if (flags?.startsWith('K') && pts !== '' && Number.isFinite(t)) out.push(t);
  }
  return out.sort((a, b) => a - b);
}
