import type { SourceInfo } from './source-info';

/**
 * How a camera is recorded into MPEG-TS segments. Stream copy costs no CPU and keeps full quality, but MPEG-TS
 * only carries some codecs: H.264 and H.265 copy; MJPEG (older IP cameras) and anything else get a light
 * H.264 transcode. H.264 in AVI has no presentation times: the segment muxer refuses such packets ("first
 * pts and dts value must be set"), so ffmpeg generates them (`+genpts`).
 */
export interface RecordingPath {
  video: 'copy' | 'transcode';
  /** `none` unless the camera records sound (`record.audio`): AAC copies, G.711/PCM/others become AAC. */
  audio: 'copy' | 'transcode' | 'none';
  /** Input flag `-fflags +genpts`. */
  genpts: boolean;
  /** One sentence for the camera's log and status line. */
  reason: string;
}

/** Video codecs MPEG-TS carries and phones and our clip path handle. */
const COPYABLE_VIDEO = new Set(['h264', 'hevc']);
const CODEC_NAMES: Record<string, string> = {
  h264: 'H.264',
  hevc: 'H.265',
  mjpeg: 'MJPEG',
  mpeg4: 'MPEG-4 Part 2',
  aac: 'AAC',
  pcm_alaw: 'G.711 A-law',
  pcm_mulaw: 'G.711 µ-law',
};

export function codecLabel(codec: string): string {
  return CODEC_NAMES[codec] ?? (codec.startsWith('pcm_') ? `PCM (${codec.slice(4)})` : codec);
}

function containerLabel(formatName: string): string {
  const first = formatName.split(',')[0] ?? formatName;
  return first === 'mov' ? 'MP4/MOV' : first === 'matroska' ? 'MKV' : first.toUpperCase();
}

export function chooseRecordingPath(info: SourceInfo, options: { audio: boolean }): RecordingPath {
  const vc = info.video.codec;
  const where = `${codecLabel(vc)} in ${containerLabel(info.formatName)}`;
  const copy = COPYABLE_VIDEO.has(vc);
  // AVI stores no presentation times for H.264 (B-frames make it visible); a sample may also show it.
  const genpts = copy && (info.missingTimestamps || info.formatName.split(',').includes('avi'));
  const audio: RecordingPath['audio'] =
    !options.audio || !info.audio ? 'none' : info.audio.codec === 'aac' ? 'copy' : 'transcode';
  let reason = copy
    ? `${where}: stream copy${genpts ? ' with generated timestamps (the container gives none)' : ''}`
    : `${where}: ${codecLabel(vc)} cannot be stream-copied into MPEG-TS segments, light H.264 transcode`;
  if (audio === 'copy') reason += '; audio AAC copied';
  else if (audio === 'transcode') reason += `; audio ${codecLabel(info.audio!.codec)} → AAC`;
  else if (options.audio && !info.audio) reason += '; no audio in the source';
  return { video: copy ? 'copy' : 'transcode', audio, genpts, reason };
}
