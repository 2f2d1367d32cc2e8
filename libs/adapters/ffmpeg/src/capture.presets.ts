/**
 * The edge agent's capture command (one ffmpeg per camera, docs/architecture.md, "One frame's path"): the source is
 * read and decoded once and written three ways:
 *  1. small grayscale raw frames at the detect rate on stdout, for the motion gate;
 *  2. the original video stream copied (no re-encoding) into short MPEG-TS segments on disk, with a CSV segment
 *     list giving each segment's start and end time, so pre-roll is "the last segments" and a clip is a cut;
 *  3. full-size JPEG snapshots at a low rate as numbered files in the camera's temp dir, for the AI.
 *     Files rather than a pipe on fd 3: the adapter's spawn gives stdout only, a numbered file names its
 *     stream time (index / snapshot fps), and a stalled reader can never block ffmpeg's other outputs.
 * MPEG-TS segments because a half-written one is still readable and they concatenate by stream copy.
 * What goes into the segments (copy or a light transcode, with or without audio) is the RecordingPath chosen
 * from the source's probe (recording-path.ts).
 */
import { allowListArgs, cameraAllowList } from './media-allowlist';
import type { RecordingPath } from './recording-path';

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
  /** From chooseRecordingPath; omitted = video stream copy, no audio. */
  recording?: RecordingPath;
}

/** Where the capture's ffmpeg connects and what it may open (shared with the source probe). */
export interface SourceInputPlan {
  source: string;
  kind: 'file' | 'rtsp';
  rtspTransport?: RtspTransport;
  ioTimeoutSeconds?: number;
}

export const CAPTURE_SEGMENT_LIST = 'segments.csv';
export const CAPTURE_SEGMENT_PATTERN = 'seg-%06d.ts';
export const CAPTURE_SNAPSHOT_PATTERN = 'snap-%06d.jpg';

/** Connection options and the camera allow-list, without `-i` (ffprobe takes the URL last). */
export function sourceOptionArgs(plan: SourceInputPlan): string[] {
  const allow = allowListArgs(cameraAllowList(plan.kind));
  if (plan.kind === 'rtsp') {
    const timeoutUs = String(Math.round((plan.ioTimeoutSeconds ?? 10) * 1_000_000));
    return ['-rtsp_transport', plan.rtspTransport ?? 'tcp', '-timeout', timeoutUs, ...allow];
  }
  return allow;
}

export function captureInputArgs(plan: CapturePlan): string[] {
  const genpts = plan.recording?.genpts ? ['-fflags', '+genpts'] : [];
  if (plan.kind === 'rtsp') return [...sourceOptionArgs(plan), ...genpts, '-i', plan.source];
  return [
    ...(plan.realtime ? ['-re'] : []),
    ...(plan.loop ? ['-stream_loop', '-1'] : []),
    ...sourceOptionArgs(plan),
    ...genpts,
    '-i',
    plan.source,
  ];
}

/**
 * ffprobe of a camera source before capture: container, streams, and the first packets (files only: they
 * show whether the video carries presentation times; a live stream's first packets say nothing about it).
 */
export function probeSourceArgs(plan: SourceInputPlan): string[] {
  return [
    '-v',
    'error',
    ...sourceOptionArgs(plan),
    '-print_format',
    'json',
    '-show_format',
    '-show_streams',
    ...(plan.kind === 'file'
      ? ['-show_packets', '-read_intervals', '%+#48', '-show_entries', 'packet=codec_type,pts_time,dts_time,flags']
      : []),
    plan.source,
  ];
}

/** Segment codec flags for a recording path. Transcode: keyframes every 2 s, so segments and cuts stay short. */
export function recordingCodecArgs(recording: RecordingPath | undefined): string[] {
  const video =
    recording?.video === 'transcode'
      ? [
          '-c:v',
          'libx264',
          '-preset',
          'ultrafast',
          '-tune',
          'zerolatency',
          '-crf',
          '23',
          '-pix_fmt',
          'yuv420p',
          '-force_key_frames',
          'expr:gte(t,n_forced*2)',
        ]
      : ['-c:v', 'copy'];
  const audio =
    !recording || recording.audio === 'none'
      ? ['-an']
      : recording.audio === 'copy'
        ? ['-map', '0:a:0', '-c:a', 'copy']
        : ['-map', '0:a:0', '-c:a', 'aac', '-b:a', '64k'];
  return [...video, ...audio];
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
    // 2. recording: short segments (copy or light transcode, see recording-path.ts); cuts fall on keyframes.
    '-map',
    '0:v:0',
    ...recordingCodecArgs(plan.recording),
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
