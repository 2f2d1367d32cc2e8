import { Type, type Static } from '@sinclair/typebox';
import { RiskLevel, RiskLevelSchema } from './risk';

/** A polygon in normalised image coordinates (0..1, origin top-left), e.g. a privacy mask. */
export const Polygon = Type.Array(
  Type.Tuple([Type.Number({ minimum: 0, maximum: 1 }), Type.Number({ minimum: 0, maximum: 1 })]),
  {
    minItems: 3,
  },
);
export type Polygon = Static<typeof Polygon>;

export enum CameraState {
  Connecting = 'connecting',
  Live = 'live',
  Reconnecting = 'reconnecting',
  Failed = 'failed',
  Ended = 'ended',
}

/** Motion gate settings, per camera (Frigate's words: threshold, contour area). */
export const MotionSettings = Type.Object({
  /**
   * Grayscale difference (0-255) above which a pixel counts as changed, on the contrast-normalised frame when
   * `improve_contrast` is on (so a dull or dark scene needs a smaller raw difference). The gate never goes below
   * `noise_factor` x the camera's measured noise, whatever this says.
   */
  threshold: Type.Integer({ minimum: 1, maximum: 255, default: 10 }),
  /** Smallest changed area, as a fraction of the (unmasked) frame, that counts as motion. */
  contour_area: Type.Number({ minimum: 0, maximum: 1, default: 0.004 }),
  /** Fraction of the frame changing at once that means a global light change: recalibrate, not motion. */
  lightning_threshold: Type.Number({ minimum: 0, maximum: 1, default: 0.6 }),
  /** Polygons ignored by the motion gate and blacked out in every image that leaves the agent. */
  mask: Type.Array(Polygon, { default: [] }),
  /** Stretch each frame's contrast (4th-96th percentile, averaged over 50 frames) before thresholding, as Frigate. */
  improve_contrast: Type.Optional(Type.Boolean({ default: true })),
  /** The per-pixel threshold is at least this many times the camera's own noise (estimated on every frame). */
  noise_factor: Type.Optional(Type.Number({ minimum: 1, maximum: 20, default: 4 })),
});
export type MotionSettings = Static<typeof MotionSettings>;

export const RecordSettings = Type.Object({
  pre_capture: Type.Number({ minimum: 0, maximum: 60, default: 10 }),
  post_capture: Type.Number({ minimum: 0, maximum: 60, default: 5 }),
  /** Keep the camera's sound in recordings and clips (off by default: recording sound is regulated in many places). */
  audio: Type.Optional(Type.Boolean({ default: false })),
  /** The alert clip ends at most this long after the event start; the e-mail goes then (activity after it is a follow-up). */
  max_clip: Type.Optional(Type.Number({ minimum: 5, maximum: 300, default: 30 })),
});
export type RecordSettings = Static<typeof RecordSettings>;

export const DEFAULT_ALERT_THRESHOLD = RiskLevel.Medium;
export { RiskLevelSchema };
