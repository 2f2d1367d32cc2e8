import { spawn, type ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { setPriority } from 'node:os';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError, ErrorCode, isAppError } from '@vigint/contracts';
import type { Logger } from '@vigint/logger';
import { resolveFfmpeg, type FfmpegBinaries } from './ffmpeg-binary';
import { probeSourceArgs, type SourceInputPlan } from './capture.presets';
import { GLOBAL_ARGS, keyframeTimesArgs, NO_STDIN_ARGS, parseKeyframeTimes, probeArgs } from './ffmpeg.presets';
import { looksLikeInvalidInput } from './invalid-input';
import { refusedByAllowList } from './media-allowlist';
import { parseProbeJson } from './probe-parser';
import { redactArgs, redactCredentials } from './redact';
import { describeSourceFailure, parseSourceProbe, SourceUnreadableError, type SourceInfo } from './source-info';
import { StderrTail } from './stderr-tail';
import type { VideoInfo } from './video-info';

export interface FfmpegRunOptions {
  /** Hard limit: the process is killed and the call fails when it runs longer. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Bytes or a stream fed to ffmpeg's stdin (`-i pipe:0`). A stream that errors aborts the run with its error. */
  stdin?: Readable | Buffer;
}

export interface FfmpegSpawnOptions {
  signal?: AbortSignal;
}

/** A long-running ffmpeg (capture, recording) owned by its caller. */
export interface FfmpegProcess {
  readonly pid: number | undefined;
  /** ffmpeg's stdout (e.g. raw frames from `-f rawvideo pipe:1`). */
  readonly stdout: Readable;
  /** The last few KB of stderr, for a log line or an error. */
  stderrTail(): string;
  /** Resolves with the exit code (null when killed by a signal); never rejects. */
  readonly exited: Promise<number | null>;
  /** SIGTERM (ffmpeg then finishes its outputs), SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface FfmpegAdapterOptions {
  /** Niceness for every child (0-19): keeps capture and the API responsive while clips encode. */
  niceness?: number;
  /** How much stderr an error carries. */
  stderrTailBytes?: number;
}

/**
 * The one place that starts ffmpeg/ffprobe: timeouts, abort, bounded stderr, process-wide tuning,
 * and mapping of failures to AppError.
 */
export class FfmpegAdapter {
  private readonly log: Logger;
  private readonly niceness: number;
  private readonly tailBytes: number;

  constructor(
    log: Logger,
    readonly binaries: FfmpegBinaries = resolveFfmpeg(),
    options: FfmpegAdapterOptions = {},
  ) {
    this.log = log.child({ module: 'ffmpeg' });
    this.niceness = options.niceness ?? 0;
    this.tailBytes = options.stderrTailBytes ?? 4096;
  }

  /** Runs ffmpeg to completion. Fails with INVALID_VIDEO when ffmpeg rejects the input, else MEDIA_PROCESSING_FAILED. */
  async run(args: string[], options: FfmpegRunOptions): Promise<{ stderr: string }> {
    const fullArgs = [...GLOBAL_ARGS, ...(options.stdin ? [] : NO_STDIN_ARGS), ...args];
    return this.exec(this.binaries.ffmpeg, fullArgs, options);
  }

  /** Starts a long-running ffmpeg; the caller owns it and must `stop()` it. */
  spawn(args: string[], options: FfmpegSpawnOptions = {}): FfmpegProcess {
    const fullArgs = [...GLOBAL_ARGS, ...NO_STDIN_ARGS, ...args];
    this.log.debug({ cmd: this.binaries.ffmpeg, args: redactArgs(fullArgs) }, 'ffmpeg spawn');
    const child = spawn(this.binaries.ffmpeg, fullArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.renice(child);
    const tail = new StderrTail(this.tailBytes);
    child.stderr!.on('data', (c: Buffer) => tail.push(c));
    const exited = new Promise<number | null>((resolve) => {
      child.once('error', (err) => {
        tail.push(`spawn failed: ${err.message}`);
        resolve(null);
      });
      child.once('close', (code) => resolve(code));
    });
    const stop = (graceMs = 3000) => stopChild(child, exited, graceMs);
    if (options.signal) {
      if (options.signal.aborted) void stop();
      else {
        const onAbort = () => void stop();
        options.signal.addEventListener('abort', onAbort, { once: true });
        void exited.then(() => options.signal!.removeEventListener('abort', onAbort));
      }
    }
    return {
      pid: child.pid,
      stdout: child.stdout!,
      stderrTail: () => redactCredentials(tail.toString()),
      exited,
      stop,
    };
  }

  /** ffprobe → VideoInfo. INVALID_VIDEO when the file is not a playable video (image, truncated, garbage). */
  async probe(
    file: string,
    options: { countFrames?: boolean; timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<VideoInfo> {
    let sizeBytes: number;
    try {
      sizeBytes = (await stat(file)).size;
    } catch (err) {
      throw new AppError(ErrorCode.NotFound, `video file not found: ${file}`, { cause: err });
    }
    if (sizeBytes === 0) throw new AppError(ErrorCode.InvalidVideo, 'video file is empty');
    const { stdout, stderr } = await this.execCapture(this.binaries.ffprobe, probeArgs(file, options), {
      timeoutMs: options.timeoutMs ?? 30_000,
      signal: options.signal,
      invalidCode: ErrorCode.InvalidVideo,
    });
    return parseProbeJson(stdout, sizeBytes, stderr);
  }

  /** Times (s) of the video keyframes of one of our recordings (segments, a joined clip). */
  async keyframeTimes(file: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<number[]> {
    const { stdout } = await this.execCapture(this.binaries.ffprobe, keyframeTimesArgs(file), {
      timeoutMs: options.timeoutMs ?? 30_000,
      signal: options.signal,
      invalidCode: ErrorCode.InvalidVideo,
    });
    return parseKeyframeTimes(stdout);
  }

  /**
   * ffprobe of a camera source (file or RTSP) with the camera allow-list: what the recording path is chosen
   * from. Fails with SourceUnreadableError, whose message names the source and the reason in plain words.
   */
  async probeSource(
    plan: SourceInputPlan,
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<SourceInfo> {
    try {
      const { stdout } = await this.execCapture(this.binaries.ffprobe, probeSourceArgs(plan), {
        timeoutMs: options.timeoutMs ?? 30_000,
        signal: options.signal,
        invalidCode: ErrorCode.InvalidVideo,
      });
      return parseSourceProbe(plan.source, stdout);
    } catch (err) {
      if (err instanceof SourceUnreadableError) throw err;
      if (isAppError(err) && (err.details as { reason?: string } | undefined)?.reason === 'timeout') {
        throw new SourceUnreadableError(plan.source, 'no answer from the source within the probe timeout', {
          cause: err,
        });
      }
      if (isAppError(err) && err.code === ErrorCode.DependencyUnavailable) throw err;
      if (isAppError(err) && (err.details as { reason?: string } | undefined)?.reason === 'aborted') throw err;
      const stderr = isAppError(err) ? ((err.details as { stderr?: string } | undefined)?.stderr ?? '') : '';
      throw new SourceUnreadableError(plan.source, describeSourceFailure(stderr), { cause: err });
    }
  }

  private renice(child: ChildProcess): void {
    if (!this.niceness || child.pid === undefined) return;
    try {
      setPriority(child.pid, this.niceness);
    } catch {
      // Lowering priority is best effort (containers may forbid it).
    }
  }

  private async exec(bin: string, args: string[], options: FfmpegRunOptions): Promise<{ stderr: string }> {
    const { stderr } = await this.execCapture(bin, args, { ...options, discardStdout: true });
    return { stderr };
  }

  private execCapture(
    bin: string,
    args: string[],
    options: FfmpegRunOptions & { invalidCode?: ErrorCode; discardStdout?: boolean },
  ): Promise<{ stdout: string; stderr: string }> {
    const { timeoutMs, signal, stdin } = options;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const started = Date.now();
    this.log.debug({ cmd: bin, args: redactArgs(args) }, 'ffmpeg run');
    return new Promise((resolve, reject) => {
      const child = spawn(bin, args, {
        stdio: [stdin ? 'pipe' : 'ignore', options.discardStdout ? 'ignore' : 'pipe', 'pipe'],
      });
      this.renice(child);
      const tail = new StderrTail(this.tailBytes);
      const out: Buffer[] = [];
      let failure: unknown;
      let settled = false;

      const kill = (reason: unknown) => {
        if (failure === undefined) failure = reason;
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      };
      const timer = setTimeout(
        () =>
          kill(
            new AppError(ErrorCode.MediaProcessingFailed, `ffmpeg timed out after ${timeoutMs} ms`, {
              details: { reason: 'timeout', stderr: tail.toString() },
            }),
          ),
        timeoutMs,
      );
      const onAbort = () => kill(abortError(signal!));
      signal?.addEventListener('abort', onAbort, { once: true });

      child.stderr!.on('data', (c: Buffer) => tail.push(c));
      child.stdout?.on('data', (c: Buffer) => out.push(c));

      if (stdin && child.stdin) {
        // ffmpeg may exit before reading everything (bad input): EPIPE is then expected, the exit code tells.
        child.stdin.on('error', () => undefined);
        if (Buffer.isBuffer(stdin)) child.stdin.end(stdin);
        else {
          pipeline(stdin, child.stdin).catch((err: unknown) => {
            // The source failed (e.g. a frame that does not decode): that error is the one to report.
            if (!isBrokenPipe(err)) kill(err);
          });
        }
      }

      const finish = (code: number | null, spawnError?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const stderr = redactCredentials(tail.toString());
        const durationMs = Date.now() - started;
        if (failure !== undefined) {
          this.log.warn({ durationMs, stderr }, 'ffmpeg stopped');
          reject(failure);
          return;
        }
        if (spawnError) {
          reject(
            new AppError(ErrorCode.DependencyUnavailable, `could not start ${bin}: ${spawnError.message}`, {
              cause: spawnError,
            }),
          );
          return;
        }
        if (code !== 0) {
          const invalid = looksLikeInvalidInput(stderr);
          const errCode = invalid ? ErrorCode.InvalidVideo : (options.invalidCode ?? ErrorCode.MediaProcessingFailed);
          this.log.error({ code, durationMs, stderr }, 'ffmpeg failed');
          const refused = refusedByAllowList(stderr);
          const message = refused
            ? refusedMessage(refused)
            : `${invalid ? 'invalid video' : 'ffmpeg failed'} (exit ${code}): ${lastLine(stderr)}`;
          reject(new AppError(errCode, message, { details: { exitCode: code, stderr, refused } }));
          return;
        }
        this.log.debug({ durationMs }, 'ffmpeg done');
        resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr });
      };
      child.once('error', (err) => finish(null, err));
      child.once('close', (code) => finish(code));
    });
  }
}

/** Why an allow-list refused an input, in words for an API client (a 4xx message). */
function refusedMessage(refused: { what: 'format' | 'protocol'; name?: string }): string {
  if (refused.what === 'protocol')
    return `not an accepted video: it would make ffmpeg open a ${refused.name ?? ''} URL`;
  const name = refused.name?.split(',')[0];
  if (name && /^(image2|[a-z0-9]+_pipe|gif|apng)$/.test(name))
    return `not a video: the file is a still image (${name})`;
  return `not an accepted video: the file is ${name ? `"${name}"` : 'a format'}, not a video container (playlists, manifests and lists are refused)`;
}

function isBrokenPipe(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_PREMATURE_CLOSE';
}

function abortError(signal: AbortSignal): unknown {
  const reason: unknown = signal.reason;
  if (reason instanceof Error || isAppError(reason)) return reason;
  return new AppError(ErrorCode.MediaProcessingFailed, 'ffmpeg aborted', { details: { reason: 'aborted' } });
}

function lastLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim());
  return (lines.at(-1) ?? 'no output').slice(0, 300);
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
    await exited;
    return;
  }
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      resolve();
    }, graceMs);
  });
  await Promise.race([exited, killed]);
  clearTimeout(timer);
  await exited;
}
