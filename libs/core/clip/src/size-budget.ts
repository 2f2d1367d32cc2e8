/**
 * Size arithmetic for "fit a video under N bytes", kept pure so it can be tested without ffmpeg.
 */

/** Base64 turns 3 bytes into 4 chars, and MIME wraps lines at 76 chars + CRLF. */
const BASE64_INFLATION = (4 / 3) * (78 / 76);
/** Room for the message's headers, text/HTML body and the inline thumbnail's part headers. */
const MAIL_HEADROOM_BYTES = 8 * 1024;

/**
 * The largest raw attachment whose base64 encoding fits in `maxAttachmentBytes` (a mail provider's
 * limit applies to the encoded message, so a 25 MB limit leaves ~18.2 MB of video).
 */
export function emailBudgetBytes(maxAttachmentBytes: number): number {
  if (!Number.isFinite(maxAttachmentBytes) || maxAttachmentBytes <= 0) return 0;
  return Math.max(0, Math.floor((maxAttachmentBytes - MAIL_HEADROOM_BYTES) / BASE64_INFLATION));
}

/** mp4 index (stts/stsz/stco… ~16 B per sample) plus fixed boxes. */
export function containerOverheadBytes(durationSeconds: number, fps: number, hasAudio: boolean): number {
  const videoSamples = Math.ceil(durationSeconds * Math.max(1, fps));
  const audioSamples = hasAudio ? Math.ceil((durationSeconds * 48_000) / 1024) : 0;
  return 8 * 1024 + (videoSamples + audioSamples) * 16;
}

/** Below this many bits per pixel per frame, H.264 at veryfast smears; we scale down instead. */
export const MIN_BITS_PER_PIXEL = 0.04;
/** Heights we scale to (common sizes players and mail previews handle well). */
const HEIGHT_LADDER = [1080, 720, 540, 480, 360, 270, 240, 180, 144];
/** Smallest picture we scale to (height); below it a clip stops being useful evidence. */
export const MIN_HEIGHT = 144;
/** Below this video bitrate nothing useful comes out at any size. */
export const MIN_VIDEO_BITRATE = 24_000;

export interface EncodeTarget {
  videoBitrate: number;
  audioBitrate: number;
  width: number;
  height: number;
  fps: number;
}

/**
 * Bitrates and picture size for a target file size: the budget minus container overhead, minus audio,
 * spread over the duration; the picture shrinks (then the frame rate drops to 15) when the bits per
 * pixel get too low.
 */
export function planEncodeTarget(input: {
  targetBytes: number;
  durationSeconds: number;
  width: number;
  height: number;
  fps: number;
  hasAudio: boolean;
}): EncodeTarget | null {
  const { durationSeconds, width, height, hasAudio } = input;
  let fps = input.fps > 0 && input.fps <= 120 ? input.fps : 25;
  const totalBitrate = (withAudio: boolean) =>
    ((input.targetBytes - containerOverheadBytes(durationSeconds, fps, withAudio)) * 8) / durationSeconds;
  let audioBitrate = 0;
  if (hasAudio) {
    // Audio gets a small, fixed share: speech stays intelligible at 32k mono; the picture is the evidence.
    const total = totalBitrate(true);
    if (total >= 1_500_000) audioBitrate = 96_000;
    else if (total >= 500_000) audioBitrate = 64_000;
    else if (total >= 150_000) audioBitrate = 32_000;
  }
  const videoBitrate = Math.floor(totalBitrate(audioBitrate > 0) - audioBitrate);
  if (!(videoBitrate >= MIN_VIDEO_BITRATE)) return null;

  let w = width;
  let h = height;
  const bpp = (b: number, ww: number, hh: number, f: number) => b / (ww * hh * f);
  if (bpp(videoBitrate, w, h, fps) < MIN_BITS_PER_PIXEL) {
    const scale = Math.sqrt(videoBitrate / (MIN_BITS_PER_PIXEL * fps * width * height));
    const wanted = height * scale;
    h = HEIGHT_LADDER.find((step) => step <= wanted && step < height) ?? Math.min(MIN_HEIGHT, height);
    w = (width * h) / height;
    if (bpp(videoBitrate, w, h, fps) < MIN_BITS_PER_PIXEL && fps > 15) fps = 15;
  }
  return { videoBitrate, audioBitrate, width: even(w), height: even(h), fps };
}

/** Largest even integer ≤ v (yuv420p needs even sizes), at least 2. */
export function even(v: number): number {
  return Math.max(2, Math.floor(v / 2) * 2);
}
