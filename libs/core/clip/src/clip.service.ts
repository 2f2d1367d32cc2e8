import { copyFile, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { AppError, ErrorCode, isAppError, VideoFormat } from '@vigint/contracts';
import {
  concatCopyArgs,
  cutCopyArgs,
  cutTranscodeArgs,
  framesToVideoArgs,
  sizeTargetedH264Args,
  type EncodeFormat,
  type FfmpegAdapter,
  type VideoInfo,
} from '@vigint/ffmpeg';
import { ImageAdapter } from '@vigint/image';
import type { Logger } from '@vigint/logger';
import type { ClipPlan } from './clip-plan';
import { even, emailBudgetBytes, planEncodeTarget, type EncodeTarget } from './size-budget';

export interface FramesToVideoOptions {
  fps: number;
  format: VideoFormat | EncodeFormat;
  outFile: string;
  signal?: AbortSignal;
  /** Whole-encode limit; default 5 min. */
  timeoutMs?: number;
  /** Refuse more frames than this (default 10 000: ~6 min at 25 fps). */
  maxFrames?: number;
}

export interface FramesToVideoResult extends VideoInfo {
  framesProcessed: number;
}

export interface CompressOptions {
  maxSizeBytes: number;
  /** The seed's `quality_reduction`: the share of `maxSizeBytes` the first pass aims at (0 < q ≤ 1). */
  qualityReduction?: number;
  signal?: AbortSignal;
  /** Re-encodes allowed when a pass overshoots (default 4). */
  maxPasses?: number;
  /** Two-pass x264 per attempt (more exact, twice the CPU). Default false. */
  twoPass?: boolean;
  /** Per-encode limit; default 60 s + 5 s per second of video. */
  timeoutMs?: number;
}

export interface CompressResult {
  originalSize: number;
  compressedSize: number;
  durationSeconds: number;
  width: number;
  height: number;
  /** Encodes run (0 when the input already fit and was copied). */
  passes: number;
}

export interface CutOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface ClipCutOptions extends CutOptions {
  /** Keep sound (the camera's `record.audio`); the clip's audio is then AAC. Default false. */
  audio?: boolean;
  /**
   * How far before the wanted start a stream-copied clip may begin (it starts on the keyframe before). When
   * the keyframe before is further away (a long-GOP camera), the window is re-encoded to start on time.
   */
  maxEarlyStartSeconds?: number;
}

/** How the clip was made, for the log and the alert. */
export type ClipMethod = 'copy' | 'transcode';

/**
 * A clip cut, or why it could not be made. Never thrown: the alert goes out with its snapshot and says the
 * clip failed (`clipError`) rather than being lost.
 */
export type ClipOutcome =
  | {
      ok: true;
      file: string;
      info: VideoInfo;
      method: ClipMethod;
      reason: string;
      /** Seconds the clip starts before the wanted start (copy cuts land on the keyframe before). */
      earlyStartSeconds: number;
    }
  | { ok: false; clipError: string; code: ErrorCode };

/** How much of the pre-roll a copy cut may skip to start on the keyframe just after the wanted start. */
const LATE_START_SECONDS = 0.25;

/** Largest frame side we encode (4K); bigger frames are scaled down. */
const MAX_SIDE = 3840;
const FORMATS: readonly string[] = [VideoFormat.Mp4, VideoFormat.Webm];

/**
 * Clip work: frames → video (one ffmpeg fed through stdin), compression under a hard size limit, and
 * cutting a clip out of recorded segments by stream copy.
 */
export class ClipService {
  private readonly log: Logger;

  constructor(
    private readonly ffmpeg: FfmpegAdapter,
    log: Logger,
    private readonly image: ImageAdapter = new ImageAdapter(),
  ) {
    this.log = log.child({ module: 'clip' });
  }

  /** The raw attachment size that still fits `maxAttachmentBytes` once base64-encoded in a mail. */
  emailBudgetBytes(maxAttachmentBytes: number): number {
    return emailBudgetBytes(maxAttachmentBytes);
  }

  /**
   * Streams JPEG (or any sharp-readable) frames into one ffmpeg over stdin: no per-frame temp files.
   * A frame that does not decode fails the whole call with INVALID_IMAGE (permanent).
   */
  async framesToVideo(
    frames: AsyncIterable<Buffer> | Iterable<Buffer>,
    options: FramesToVideoOptions,
  ): Promise<FramesToVideoResult> {
    const { fps, format, outFile } = options;
    if (typeof fps !== 'number' || !Number.isFinite(fps) || fps <= 0 || fps > 120) {
      throw new AppError(ErrorCode.ValidationFailed, 'fps must be a number above 0 and at most 120', { field: 'fps' });
    }
    if (!FORMATS.includes(format)) {
      throw new AppError(ErrorCode.UnsupportedFormat, `video_format must be one of ${FORMATS.join(', ')}`, {
        field: 'video_format',
      });
    }
    const maxFrames = options.maxFrames ?? 10_000;
    const iterator = toAsyncIterator(frames);
    const first = await iterator.next();
    if (first.done) throw new AppError(ErrorCode.ValidationFailed, 'no frames to encode', { field: 'frames' });
    const firstInfo = await this.frameInfo(first.value, 0);
    const scale = Math.min(1, MAX_SIDE / Math.max(firstInfo.width, firstInfo.height));
    const width = even(Math.floor(firstInfo.width * scale));
    const height = even(Math.floor(firstInfo.height * scale));

    let count = 0;
    const image = this.image;
    const frameInfo = (buf: Buffer, i: number) => this.frameInfo(buf, i);
    async function* jpegs(): AsyncGenerator<Buffer> {
      let next: IteratorResult<Buffer> = first;
      while (!next.done) {
        if (count >= maxFrames) {
          throw new AppError(ErrorCode.PayloadTooLarge, `too many frames (more than ${maxFrames})`, {
            field: 'frames',
          });
        }
        const info = count === 0 ? firstInfo : await frameInfo(next.value, count);
        // The pipe is read as one MJPEG stream; other formats are converted on the way.
        yield info.format === 'jpeg' ? next.value : await image.toJpeg(next.value, 92);
        count++;
        next = await iterator.next();
      }
    }

    const tmp = `${outFile}.${process.pid}.${Date.now()}.part`;
    const started = Date.now();
    try {
      await this.ffmpeg
        .run(framesToVideoArgs({ fps, width, height, format: format as EncodeFormat, outFile: tmp }), {
          timeoutMs: options.timeoutMs ?? 300_000,
          signal: options.signal,
          stdin: Readable.from(jpegs(), { objectMode: false }),
        })
        .catch((err: unknown) => {
          // Our frames are the only input here: "invalid data" means a frame ffmpeg could not decode.
          if (isAppError(err) && err.code === ErrorCode.InvalidVideo) {
            throw new AppError(ErrorCode.InvalidImage, `a frame could not be decoded: ${err.message}`, {
              field: 'frames',
              cause: err,
            });
          }
          throw err;
        });
      await rename(tmp, outFile);
    } finally {
      await rm(tmp, { force: true });
    }
    const info = await this.ffmpeg.probe(outFile, { countFrames: format === VideoFormat.Webm });
    this.log.info(
      { frames: count, fps, format, width, height, bytes: info.sizeBytes, durationMs: Date.now() - started },
      'frames encoded',
    );
    return { ...info, framesProcessed: count };
  }

  /**
   * Fits a video under `maxSizeBytes` (hard guarantee) keeping its full duration. The first pass aims
   * at `maxSizeBytes × qualityReduction`; a pass that still overshoots is redone with a proportionally
   * lower target, at most `maxPasses` times. A file already under the limit is copied as is.
   */
  async compressToSize(inFile: string, outFile: string, options: CompressOptions): Promise<CompressResult> {
    const { maxSizeBytes } = options;
    const qualityReduction = options.qualityReduction ?? 0.85;
    if (!Number.isFinite(maxSizeBytes) || maxSizeBytes <= 0) {
      throw new AppError(ErrorCode.ValidationFailed, 'max_size_mb must be above 0', { field: 'max_size_mb' });
    }
    if (!Number.isFinite(qualityReduction) || qualityReduction <= 0 || qualityReduction > 1) {
      throw new AppError(ErrorCode.ValidationFailed, 'quality_reduction must be above 0 and at most 1', {
        field: 'quality_reduction',
      });
    }
    const info = await this.ffmpeg.probe(inFile, { signal: options.signal });
    if (info.sizeBytes <= maxSizeBytes) {
      await copyFile(inFile, outFile);
      return {
        originalSize: info.sizeBytes,
        compressedSize: info.sizeBytes,
        durationSeconds: info.durationSeconds,
        width: info.width,
        height: info.height,
        passes: 0,
      };
    }

    const maxPasses = options.maxPasses ?? 4;
    const timeoutMs = options.timeoutMs ?? 60_000 + info.durationSeconds * 5_000;
    const started = Date.now();
    const work = await mkdtemp(join(tmpdir(), 'vigint-compress-'));
    try {
      let targetBytes = maxSizeBytes * qualityReduction;
      let lastSize = 0;
      for (let pass = 1; pass <= maxPasses; pass++) {
        const target = planEncodeTarget({
          targetBytes,
          durationSeconds: info.durationSeconds,
          width: info.width,
          height: info.height,
          fps: info.fps,
          hasAudio: info.hasAudio,
        });
        if (!target) {
          throw new AppError(
            ErrorCode.ValidationFailed,
            `max_size_mb is too small for a ${info.durationSeconds.toFixed(1)} s video: ${maxSizeBytes} bytes cannot hold it ` +
              `(at least ~${Math.ceil(minimumBytes(info) / 1024)} KB needed)`,
            {
              field: 'max_size_mb',
              details: { maxSizeBytes, durationSeconds: info.durationSeconds, passes: pass - 1, lastSize },
            },
          );
        }
        const candidate = join(work, `pass-${pass}.mp4`);
        await this.encodeToTarget(inFile, candidate, target, info, work, { ...options, timeoutMs });
        lastSize = (await stat(candidate)).size;
        this.log.info(
          { attempt: pass, targetBytes: Math.round(targetBytes), size: lastSize, maxSizeBytes, ...target },
          'compress pass',
        );
        if (lastSize <= maxSizeBytes) {
          await moveFile(candidate, outFile);
          const out = await this.ffmpeg.probe(outFile, { signal: options.signal });
          this.log.info(
            {
              originalSize: info.sizeBytes,
              compressedSize: out.sizeBytes,
              passes: pass,
              durationMs: Date.now() - started,
            },
            'video compressed',
          );
          return {
            originalSize: info.sizeBytes,
            compressedSize: out.sizeBytes,
            durationSeconds: out.durationSeconds,
            width: out.width,
            height: out.height,
            passes: pass,
          };
        }
        // Overshoot: scale the target by how far off we were, with a margin so the next pass lands under.
        targetBytes = targetBytes * (maxSizeBytes / lastSize) * 0.9;
      }
      throw new AppError(
        ErrorCode.MediaProcessingFailed,
        `could not fit the video under ${maxSizeBytes} bytes in ${maxPasses} passes (last: ${lastSize} bytes)`,
        { details: { maxSizeBytes, lastSize, passes: maxPasses } },
      );
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  /**
   * Cuts [startTime, endTime] (seconds from the start of the first segment) out of recorded segments by
   * stream copy (concat demuxer): full quality, almost no CPU. Starts at the keyframe at or before
   * `startTime`.
   */
  async cutFromSegments(
    segmentFiles: readonly string[],
    window: { startTime: number; endTime: number },
    outFile: string,
    options: CutOptions = {},
  ): Promise<VideoInfo> {
    const { startTime, endTime } = window;
    if (segmentFiles.length === 0)
      throw new AppError(ErrorCode.ValidationFailed, 'no segments to cut from', { field: 'segmentFiles' });
    if (!Number.isFinite(startTime) || !Number.isFinite(endTime) || startTime < 0 || endTime <= startTime) {
      throw new AppError(ErrorCode.ValidationFailed, 'the cut needs 0 ≤ startTime < endTime', { field: 'startTime' });
    }
    const work = await mkdtemp(join(tmpdir(), 'vigint-cut-'));
    try {
      const listFile = join(work, 'segments.txt');
      await writeFile(listFile, concatList(segmentFiles));
      const joined = join(work, 'joined.mkv');
      const tmp = join(work, 'clip.mp4');
      const run = { timeoutMs: options.timeoutMs ?? 60_000, signal: options.signal };
      await this.ffmpeg.run(concatCopyArgs({ listFile, outFile: joined }), run);
      await this.ffmpeg.run(cutCopyArgs({ inFile: joined, startTime, endTime, outFile: tmp }), run);
      await moveFile(tmp, outFile);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    const info = await this.ffmpeg.probe(outFile, { signal: options.signal });
    this.log.info(
      { segments: segmentFiles.length, startTime, endTime, durationSeconds: info.durationSeconds },
      'clip cut',
    );
    return info;
  }

  /**
   * Makes the clip of `plan` (planClip) in the e-mail format: H.264 (+ AAC when `audio`) in a faststart MP4.
   * Stream copy when the recording already is H.264 with a keyframe close before the start; otherwise the
   * window is re-encoded (H.265 sources; sparse keyframes, so the clip neither starts far before the pre-roll
   * nor misses the event). Audio that is not AAC (G.711, PCM) is re-encoded to AAC.
   */
  async cutClip(plan: ClipPlan, outFile: string, options: ClipCutOptions = {}): Promise<ClipOutcome> {
    const { startTime, endTime } = plan;
    const audio = options.audio ?? false;
    const maxEarly = options.maxEarlyStartSeconds ?? 1.5;
    const started = Date.now();
    if (plan.segmentFiles.length === 0)
      return { ok: false, clipError: 'no recording covers the event', code: ErrorCode.NotFound };
    if (!Number.isFinite(startTime) || !Number.isFinite(endTime) || startTime < 0 || endTime <= startTime) {
      return { ok: false, clipError: 'the clip window is empty', code: ErrorCode.ValidationFailed };
    }
    const work = await mkdtemp(join(tmpdir(), 'vigint-cut-'));
    try {
      const listFile = join(work, 'segments.txt');
      await writeFile(listFile, concatList(plan.segmentFiles));
      const joined = join(work, 'joined.mkv');
      const tmp = join(work, 'clip.mp4');
      const duration = endTime - startTime;
      const run = { timeoutMs: options.timeoutMs ?? 60_000 + duration * 4_000, signal: options.signal };
      await this.ffmpeg.run(concatCopyArgs({ listFile, outFile: joined }), run);
      const src = await this.ffmpeg.probe(joined, { signal: options.signal });
      const keyframes = await this.ffmpeg.keyframeTimes(joined, { signal: options.signal });
      // A copy cut starts on the keyframe at or before the start (segments start on one, so there is one).
      // A keyframe a moment after the start is better still: start there, a fraction of the pre-roll late.
      const after = keyframes.find((k) => k > startTime + 0.001);
      const copyStart = after !== undefined && after - startTime <= LATE_START_SECONDS ? after + 0.001 : startTime;
      const before = keyframes.filter((k) => k <= copyStart).at(-1) ?? 0;
      const early = Math.max(0, startTime - before);
      const wantAudio = audio && src.hasAudio;
      let method: ClipMethod = 'copy';
      let reason: string;
      if (src.codec !== 'h264') {
        method = 'transcode';
        reason = `${src.codec === 'hevc' ? 'H.265' : src.codec} recording re-encoded to H.264 for phones and web mail`;
      } else if (early > maxEarly) {
        method = 'transcode';
        reason = `sparse keyframes (the one before the start is ${early.toFixed(1)} s early): window re-encoded to start on time`;
      } else {
        reason = 'H.264 recording stream-copied';
      }
      if (method === 'copy') {
        const audioMode = !wantAudio ? false : src.audioCodec === 'aac' ? true : ('transcode' as const);
        if (audioMode === 'transcode') reason += `, audio ${src.audioCodec ?? ''} → AAC`;
        await this.ffmpeg.run(
          cutCopyArgs({ inFile: joined, startTime: copyStart, endTime, outFile: tmp, audio: audioMode }),
          run,
        );
        // ffmpeg's seek in the join can land a whole GOP before the keyframe chosen (seen with B-frame H.264 whose
        // keyframe opens a segment): a clip much longer than the window is re-encoded instead.
        const copied = await this.ffmpeg.probe(tmp, { signal: options.signal });
        if (copied.durationSeconds > duration + maxEarly + 0.5) {
          method = 'transcode';
          reason = `the copy cut began ${(copied.durationSeconds - duration).toFixed(1)} s early: window re-encoded`;
        }
      }
      if (method === 'transcode') {
        await this.ffmpeg.run(
          cutTranscodeArgs({ inFile: joined, startTime, endTime, outFile: tmp, audio: wantAudio }),
          run,
        );
      }
      await moveFile(tmp, outFile);
      const info = await this.ffmpeg.probe(outFile, { signal: options.signal });
      const earlyStartSeconds = method === 'copy' ? Math.round(early * 1000) / 1000 : 0;
      this.log.info(
        {
          segments: plan.segmentFiles.length,
          startTime,
          endTime,
          method,
          reason,
          earlyStartSeconds,
          durationSeconds: info.durationSeconds,
          durationMs: Date.now() - started,
        },
        'clip cut',
      );
      return { ok: true, file: outFile, info, method, reason, earlyStartSeconds };
    } catch (err) {
      if (options.signal?.aborted) throw err;
      const code = isAppError(err) ? err.code : ErrorCode.MediaProcessingFailed;
      const clipError =
        code === ErrorCode.InvalidVideo
          ? 'the clip could not be made: the recording is unreadable'
          : isAppError(err) && (err.details as { reason?: string } | undefined)?.reason === 'timeout'
            ? 'the clip could not be made: encoding took too long'
            : 'the clip could not be made: ffmpeg failed on the recording';
      this.log.error({ err: (err as Error).message, code, segments: plan.segmentFiles.length }, 'clip failed');
      await rm(outFile, { force: true });
      return { ok: false, clipError, code };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  private async encodeToTarget(
    inFile: string,
    outFile: string,
    target: EncodeTarget,
    info: VideoInfo,
    work: string,
    options: CompressOptions & { timeoutMs: number },
  ): Promise<void> {
    const plan = {
      inFile,
      outFile,
      videoBitrate: target.videoBitrate,
      audioBitrate: info.hasAudio ? target.audioBitrate : 0,
      width: target.width !== info.width || target.height !== info.height ? target.width : undefined,
      height: target.width !== info.width || target.height !== info.height ? target.height : undefined,
      fps: info.fps > 0 && target.fps < info.fps ? target.fps : undefined,
    };
    const run = { timeoutMs: options.timeoutMs, signal: options.signal };
    if (!options.twoPass) {
      await this.ffmpeg.run(sizeTargetedH264Args(plan), run);
      return;
    }
    const passLogFile = join(work, 'x264-2pass');
    await this.ffmpeg.run(sizeTargetedH264Args({ ...plan, pass: 1, passLogFile }), run);
    await this.ffmpeg.run(sizeTargetedH264Args({ ...plan, pass: 2, passLogFile }), run);
  }

  private async frameInfo(buf: Buffer, index: number): Promise<{ width: number; height: number; format: string }> {
    if (!Buffer.isBuffer(buf)) {
      throw new AppError(ErrorCode.InvalidImage, `frame ${index} is not binary image data`, { field: 'frames' });
    }
    try {
      return await this.image.probe(buf);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new AppError(ErrorCode.InvalidImage, `frame ${index} is not a valid image: ${reason}`, {
        field: 'frames',
        cause: err,
      });
    }
  }
}

/** concat demuxer syntax: one `file '<path>'` per line, single quotes escaped as '\\''. */
function concatList(files: readonly string[]): string {
  return files.map((f) => `file '${resolve(f).replace(/'/g, "'\\''")}'\n`).join('');
}

/** Smallest file for this video at MIN_VIDEO_BITRATE: for the "limit too small" message. */
function minimumBytes(info: VideoInfo): number {
  for (let bytes = 16 * 1024; bytes < 1e10; bytes *= 1.25) {
    if (planEncodeTarget({ ...info, targetBytes: bytes })) return bytes;
  }
  return Infinity;
}

function toAsyncIterator(frames: AsyncIterable<Buffer> | Iterable<Buffer>): AsyncIterator<Buffer> {
  if (Symbol.asyncIterator in frames) return frames[Symbol.asyncIterator]();
  const it = (frames as Iterable<Buffer>)[Symbol.iterator]();
  return { next: async () => it.next() };
}

/** rename, or copy + delete when the temp folder is on another file system. */
async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as { code?: string }).code !== 'EXDEV') throw err;
    await copyFile(from, to);
    await rm(from, { force: true });
  }
}
