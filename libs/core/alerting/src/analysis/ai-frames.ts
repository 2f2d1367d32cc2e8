import { BufferType, type AnalysisResult, type Polygon } from '@vigint/contracts';
import type { ImageAdapter } from '@vigint/image';

/**
 * Which frames each AI stage sees, decided in one place for both modes: the screening model gets the last
 * `screenFrames` of the short buffer, the confirming model `confirmFrames` spread across the long buffer.
 * Local mode selects and encodes inside AnalysisService; distributed mode selects and encodes on the agent
 * (prepareAiFrames) and the worker sends those bytes as they are, so the model sees the same images in both.
 */
export interface AiFrameOptions {
  /** Frames the screening model sees: the last ones of the short buffer (default 3). */
  screenFrames: number;
  /** Frames the confirming model sees, spread across the long buffer (default 6). */
  confirmFrames: number;
  /** Long side of the images sent, px (default 768). */
  maxSide: number;
  jpegQuality: number;
}

export const AI_FRAME_DEFAULTS: AiFrameOptions = { screenFrames: 3, confirmFrames: 6, maxSide: 768, jpegQuality: 80 };

export interface AiFrameSource {
  /** The short buffer, oldest first. With bufferType long, the long buffer itself. */
  frames: Buffer[];
  /** The long buffer for the confirming stage; defaults to `frames`. */
  longFrames?: Buffer[];
  bufferType?: BufferType | 'short' | 'long';
}

export interface AiFrameSelection {
  /** Indexes into `frames` for the screening stage, oldest first. */
  screen: number[];
  /** The buffer the confirming stage draws from, and the indexes into it. */
  long: Buffer[];
  confirm: number[];
}

/** `count` indexes spread evenly over 0..length-1, first and last included. */
export function spreadIndexes(length: number, count: number): number[] {
  if (length <= 0 || count <= 0) return [];
  if (count >= length) return Array.from({ length }, (_, i) => i);
  if (count === 1) return [length - 1];
  const out = new Set<number>();
  for (let k = 0; k < count; k++) out.add(Math.round((k * (length - 1)) / (count - 1)));
  return [...out];
}

export function selectAiFrames(src: AiFrameSource, opts: Pick<AiFrameOptions, 'screenFrames' | 'confirmFrames'>) {
  const long = src.bufferType === BufferType.Long ? src.frames : (src.longFrames ?? src.frames);
  const selection: AiFrameSelection = {
    screen: src.frames.map((_, i) => i).slice(-opts.screenFrames),
    long,
    confirm: spreadIndexes(long.length, opts.confirmFrames),
  };
  return selection;
}

/** The frames each stage sends, already masked and AI-sized, with where they came from. */
export interface PreparedAiFrames {
  screen: Buffer[];
  confirm: Buffer[];
  /** How many frames the short buffer had (the result's frame_count). */
  frameCount: number;
  selection: AiFrameSelection;
}

/** Encodes one frame for a model: masks blacked out, long side ≤ maxSide, JPEG. The only encode a frame gets. */
export async function encodeAiFrame(
  image: Pick<ImageAdapter, 'toAiJpeg'>,
  frame: Buffer,
  masks: readonly Polygon[],
  opts: Pick<AiFrameOptions, 'maxSide' | 'jpegQuality'>,
): Promise<Buffer> {
  return (await image.toAiJpeg(frame, { maxSide: opts.maxSide, quality: opts.jpegQuality, masks })).data;
}

/** Distributed mode's agent side: the frames both stages will see, selected and encoded once, before upload. */
export async function prepareAiFrames(
  image: Pick<ImageAdapter, 'toAiJpeg'>,
  src: AiFrameSource & { masks?: readonly Polygon[] },
  options: Partial<AiFrameOptions> = {},
): Promise<PreparedAiFrames> {
  const opts = { ...AI_FRAME_DEFAULTS, ...options };
  const selection = selectAiFrames(src, opts);
  const masks = src.masks ?? [];
  const encode = (f: Buffer) => encodeAiFrame(image, f, masks, opts);
  const [screen, confirm] = await Promise.all([
    Promise.all(selection.screen.map((i) => encode(src.frames[i]!))),
    Promise.all(selection.confirm.map((i) => encode(selection.long[i]!))),
  ]);
  return { screen, confirm, frameCount: src.frames.length, selection };
}

/**
 * A result computed on prepared frames indexes them; the caller wants indexes into its own buffers, as local
 * mode gives (the confirming stage's when it answered, else the screening stage's).
 */
export function remapFrameIndexes(result: AnalysisResult, selection: AiFrameSelection): AnalysisResult {
  const confirmed = result.ai_calls.some((c) => c.stage === 'confirm' && !c.failed);
  const from = confirmed ? selection.confirm : selection.screen;
  return {
    ...result,
    frame_indexes: result.frame_indexes.filter((i) => i < from.length).map((i) => from[i]!),
  };
}
