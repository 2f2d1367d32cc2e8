/**
 * What ffmpeg may open, per kind of input. Without these, ffmpeg guesses the format from the bytes: an "MP4"
 * that is really an HLS playlist, a DASH manifest or a concat list makes ffmpeg open the files (or URLs) it
 * names, and whatever it reads becomes our output. So every `-i` on media we did not make ourselves names
 * the protocols and demuxers it accepts (ffmpeg's `protocol_whitelist` / `format_whitelist` options; a name
 * matches any alias of a demuxer, e.g. `mov` covers `mov,mp4,m4a,3gp,3g2,mj2`).
 */

/** Uploaded media (gateway probe, worker compress): local files and pipes only, video containers only. */
export const CALLER_MEDIA_PROTOCOLS = ['file', 'pipe'] as const;
export const CALLER_MEDIA_FORMATS = ['mov', 'matroska', 'avi', 'mpegts'] as const;

/** Frames piped into ffmpeg (frames → video): one explicit demuxer. */
export const FRAME_PIPE_FORMATS = ['image2pipe'] as const;

/** A camera given as a file: the containers and raw streams cameras and NVR exports produce. */
export const CAMERA_FILE_PROTOCOLS = ['file'] as const;
export const CAMERA_FILE_FORMATS = ['mov', 'matroska', 'avi', 'mpegts', 'flv', 'h264', 'hevc', 'mjpeg'] as const;

/** A camera over RTSP: the signalling and RTP transports (TCP interleaved or UDP), and TLS for rtsps. */
export const CAMERA_RTSP_PROTOCOLS = ['rtsp', 'rtsps', 'rtp', 'srtp', 'udp', 'tcp', 'tls'] as const;
export const CAMERA_RTSP_FORMATS = ['rtsp', 'sdp'] as const;

/** Our own segment lists (concat demuxer over files we wrote). */
export const SEGMENT_LIST_FORMATS = ['concat', 'mpegts', 'matroska', 'mov'] as const;

export interface InputAllowList {
  protocols: readonly string[];
  formats: readonly string[];
}

export const CALLER_MEDIA: InputAllowList = { protocols: CALLER_MEDIA_PROTOCOLS, formats: CALLER_MEDIA_FORMATS };
export const FRAME_PIPE: InputAllowList = { protocols: ['pipe'], formats: FRAME_PIPE_FORMATS };
export const SEGMENT_LIST: InputAllowList = { protocols: ['file'], formats: SEGMENT_LIST_FORMATS };

export function cameraAllowList(kind: 'file' | 'rtsp'): InputAllowList {
  return kind === 'rtsp'
    ? { protocols: CAMERA_RTSP_PROTOCOLS, formats: CAMERA_RTSP_FORMATS }
    : { protocols: CAMERA_FILE_PROTOCOLS, formats: CAMERA_FILE_FORMATS };
}

/** The input options that go right before an `-i` (ffmpeg and ffprobe take the same names). */
export function allowListArgs(list: InputAllowList): string[] {
  return ['-protocol_whitelist', list.protocols.join(','), '-format_whitelist', list.formats.join(',')];
}

/** `-i <file>` for uploaded media, with the caller-media allow-list before it. */
export function callerMediaInputArgs(file: string): string[] {
  return [...allowListArgs(CALLER_MEDIA), '-i', file];
}

/** ffmpeg's message when an allow-list refused an input (then the input is refused, not broken). */
export function refusedByAllowList(stderr: string): { what: 'format' | 'protocol'; name?: string } | undefined {
  const f = /\[([\w,]+) @ [^\]]*\] Format not on whitelist/i.exec(stderr);
  if (f) return { what: 'format', name: f[1] };
  if (/Format not on whitelist/i.test(stderr)) return { what: 'format' };
  const p = /Protocol '([\w-]+)' not on whitelist/i.exec(stderr);
  if (p) return { what: 'protocol', name: p[1] };
  return undefined;
}
