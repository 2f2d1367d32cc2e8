/** What ffprobe tells us about a video file, mapped to project types. */
export interface VideoInfo {
  durationSeconds: number;
  width: number;
  height: number;
  /** Average frame rate of the video stream (0 when ffprobe does not know it). */
  fps: number;
  /** Codec of the video stream, e.g. `h264`, `vp9`. */
  codec: string;
  sizeBytes: number;
  hasAudio: boolean;
  /** Frames in the video stream, when the container records it (mp4 does, webm does not). */
  frameCount?: number;
  /** Pixel format of the video stream, e.g. `yuv420p`. */
  pixFmt?: string;
  /** ffprobe's container name list, e.g. `mov,mp4,m4a,3gp,3g2,mj2`. */
  formatName?: string;
  /** Codec of the first audio stream, e.g. `aac`, `pcm_alaw`. */
  audioCodec?: string;
  /** Audio bitrate in bits/s when known. */
  audioBitrate?: number;
  /** Overall bitrate in bits/s when known. */
  bitRate?: number;
}
