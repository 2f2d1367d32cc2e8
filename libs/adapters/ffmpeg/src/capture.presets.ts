/**
 * The edge agent's capture command (one ffmpeg per camera, DESIGN.md "The edge agent's loop"): the source is
 * read and decoded once and written three ways:
 *  1. small grayscale raw frames at the detect rate on stdout, for the motion gate;
 *  2. the original video stream copied (no re-encoding) into short MPEG-TS segments on disk, with a CSV segment
 *     list giving each segment's start and end time, so pre-roll is "the last segments" and a clip is a cut;
 *  3. full-size JPEG snapshots at a low rate as numbered files in the camera's temp dir, for the AI.
 *     Files rather than a pipe on fd 3: the adapter's spawn gives stdout only, a numbered file names its
 *     stream time (index / snapshot fps), and a stalled reader can never block ffmpeg's other outputs.
 * MPEG-TS segments because a half-written one is still readable and they concatenate by stream copy.
 */

export type RtspTransport = 'tcp' | 'udp';

export interface CapturePlan {
  /** A file path or an rtsp:// URL. */
  source: string;
  kind: 'file' | 'rtsp';
  /** RTSP only. */
  rtspTransport?: RtspTransport;
  /** File only: read at the file's own rate (`-re`) instead of as fast as possible. */
  realtime?: boolean;
  /** File only: start again at the end. */
  loop?: boolean;
  /** RTSP only: socket timeout, so a dead server ends the process instead of hanging it. */
  ioTimeoutSeconds?: number;
  detectFps: number;
  detectWidth: number;
  detectHeight: number;
  segmentSeconds: number;
  /** Folder for segments, the segment list and snapshots. */
  dir: string;
  snapshotFps: number;
}

export const CAPTURE_SEGMENT_LIST = 'segments.csv';
export const CAPTURE_SEGMENT_PATTERN = 'seg-%06d.ts';
export const CAPTURE_SNAPSHOT_PATTERN = 'snap-%06d.jpg';

export function captureInputArgs(plan: CapturePlan): string[] {
  if (plan.kind === 'rtsp') {
    const timeoutUs = String(Math.round((plan.ioTimeoutSeconds ?? 10) * 1_000_000));
    return ['-rtsp_transport', plan.rtspTransport ?? 'tcp', '-timeout', timeoutUs, '-i', plan.source];
  }
  return [...(plan.realtime ? ['-re'] : []), ...(plan.loop ? ['-stream_loop', '-1'] : []), '-i', plan.source];
}

export function captureArgs(plan: CapturePlan): string[] {
  const seg = (name: string) => `${plan.dir}/${name}`;
  // FfmpegAdapter.spawn adds the global flags (-hide_banner -loglevel error -y -nostdin).
  return [
    ...captureInputArgs(plan),
    // 1. motion frames: fixed small size (aspect ignored: the gate works in normalised coordinates).
    '-map',
    '0:v:0',
    '-vf',
    `fps=${plan.detectFps},scale=${plan.detectWidth}:${plan.detectHeight}:flags=area,format=gray`,
    '-f',
    'rawvideo',
    '-pix_fmt',
    'gray',
    'pipe:1',
    // 2. recording: stream copy into short segments; cuts fall on keyframes.
    '-map',
    '0:v:0',
    '-c',
    'copy',
    '-f',
    'segment',
    '-segment_time',
    String(plan.segmentSeconds),
    '-segment_format',
    'mpegts',
    '-segment_list',
    seg(CAPTURE_SEGMENT_LIST),
    '-segment_list_type',
    'csv',
    '-segment_list_flags',
    'live',
    seg(CAPTURE_SEGMENT_PATTERN),
    // 3. snapshots for the AI: full size, low rate.
    '-map',
    '0:v:0',
    '-vf',
    `fps=${plan.snapshotFps}`,
    '-c:v',
    'mjpeg',
    '-q:v',
    '4',
    '-start_number',
    '0',
    '-f',
    'image2',
    seg(CAPTURE_SNAPSHOT_PATTERN),
  ];
}
