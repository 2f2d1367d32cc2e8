import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  HTTP_ROUTES,
  type AlertBody,
  type AlertReply,
  type AnalyzeBody,
  type AnalyzeReply,
  type BufferBatchBody,
  type CameraHeartbeatBody,
  type CameraList,
  type IncidentListQuery,
  type IncidentAnnounce,
  type IncidentPage,
  type IncidentRecord,
  type BufferBatchReply,
  type BufferFrameBody,
  type BufferFrameReply,
  type CleanupBody,
  type CleanupReply,
  type CompressBody,
  type CompressReply,
  type CreateBody,
  type CreateReply,
  type HealthReply,
  type JobStatusReply,
  type StorageStatusReply,
  type UsageReply,
  type VideoUploadBody,
  type VideoUploadReply,
} from '@vigint/contracts';
import { silentLogger, type Logger } from '@vigint/logger';
import { ApiError } from './api-error';
import { appendFields, toBase64, toBlob, type BinaryInput } from './binary-body';
import { HttpTransport, type CallOptions, type FetchLike, type RequestBody, type RequestSpec } from './http-transport';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy';

export type BinaryEncoding = 'multipart' | 'base64';

export interface VigintClientOptions {
  /** The gateway, e.g. `https://vigint-api.onrender.com` (a path prefix is kept). */
  baseUrl: string;
  /** Sent as `X-API-Key`; never logged. */
  apiKey: string;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  /** Retries after the first attempt on network errors, timeouts, 429 and 5xx. */
  retries?: number;
  userAgent?: string;
  /** Defaults to the global fetch (Node 20). */
  fetch?: FetchLike;
  log?: Logger;
  /** Backoff tuning: first ceiling, largest ceiling, bound on a whole call including waits. */
  backoff?: Partial<Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'maxElapsedMs'>>;
  /**
   * How binaries travel: `multipart` (default; no base64 inflation) or `base64` JSON (the earlier API's form).
   * A route that answers 415 to multipart is switched to base64 for the rest of the client's life.
   */
  binaryEncoding?: BinaryEncoding;
  /** Jitter source, for tests. */
  random?: () => number;
}

/** Replaces a body's base64 string fields with bytes the client encodes (multipart part or base64). */
type WithBinary<T, K extends keyof T, B> = Omit<T, K> & { [P in K]: B };

export type BufferFrameInput = WithBinary<BufferFrameBody, 'frame_data', BinaryInput>;
export type BufferBatchInput = WithBinary<BufferBatchBody['frames'][number], 'frame_data', BinaryInput>;
export type VideoUploadInput = WithBinary<VideoUploadBody, 'video_data', BinaryInput>;
export type AnalyzeInput = Omit<AnalyzeBody, 'frame' | 'frames' | 'confirm_frames'> & {
  frame?: BinaryInput | null;
  frames?: BinaryInput[] | null;
  confirm_frames?: BinaryInput[] | null;
};
export type AlertInput = Omit<AlertBody, 'video_data' | 'snapshot'> & {
  video_data?: BinaryInput | null;
  snapshot?: BinaryInput | null;
};
export type CompressInput = WithBinary<CompressBody, 'video_data', BinaryInput>;
export type CreateInput = WithBinary<CreateBody, 'frames', BinaryInput[]>;

export interface AlertCallOptions extends CallOptions {
  /**
   * One e-mail per key, however often the request is retried or replayed. Sent as the `Idempotency-Key` header and
   * the body's `idempotency_key`. Absent: a fresh key per call (still stable across this call's retries).
   */
  idempotencyKey?: string;
}

export interface VideoDownload {
  stream: Readable;
  contentType: string;
  /** From Content-Length, when the server sent one. */
  contentLength?: number;
  /** From Content-Disposition, when the server sent one. */
  filename?: string;
}

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** What the gateway takes as an idempotency key; anything else it would replace with a random one. */
const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_-]{8,100}$/;

/**
 * The key as sent: unchanged when the gateway accepts it, else a stable digest of it (`k-` + 40 hex), so that a
 * camera id with a dot or a colon never silently loses its idempotency.
 */
export function wireIdempotencyKey(key: string): string {
  if (IDEMPOTENCY_KEY_PATTERN.test(key)) return key;
  return `k-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

const JPEG = 'image/jpeg';
const MP4 = 'video/mp4';

/** A binary field of a request: its form name, bytes, MIME type and the file name given in the multipart part. */
interface FilePart {
  name: string;
  data: BinaryInput;
  type: string;
  filename: string;
}

/**
 * Typed client of api-proxy: one method per route, the earlier client's functions by name. Replies are the
 * contracts' reply types; failures throw ApiError (an AppError with the HTTP status and `transient`).
 */
export class VigintClient {
  private readonly http: HttpTransport;
  private readonly encoding: BinaryEncoding;
  /** Routes that refused multipart (415): sent as base64 JSON from then on. */
  private readonly base64Routes = new Set<string>();

  constructor(options: VigintClientOptions) {
    if (!options.baseUrl) throw new TypeError('VigintClient: baseUrl is required');
    if (!options.apiKey) throw new TypeError('VigintClient: apiKey is required');
    const log = (options.log ?? silentLogger).child({ module: 'api-client' });
    this.encoding = options.binaryEncoding ?? 'multipart';
    this.http = new HttpTransport({
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      timeoutMs: options.timeoutMs ?? 30_000,
      retry: { ...DEFAULT_RETRY_POLICY, ...options.backoff, retries: options.retries ?? DEFAULT_RETRY_POLICY.retries },
      userAgent: options.userAgent ?? 'vigint-api-client/0.0.0',
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      log,
      random: options.random,
    });
  }

  /** `GET /api/health` (no key needed). */
  async healthCheck(call?: CallOptions): Promise<HealthReply> {
    return (await this.http.json<HealthReply>({ method: 'GET', path: HTTP_ROUTES.health }, call)).body;
  }

  /** `POST /api/video/buffer`: one frame into the client's server-side buffer. */
  addFrameToBuffer(input: BufferFrameInput, call?: CallOptions): Promise<BufferFrameReply> {
    const { frame_data, ...fields } = input;
    return this.send(
      HTTP_ROUTES.buffer,
      fields,
      [{ name: 'frame_data', data: frame_data, type: JPEG, filename: 'frame.jpg' }],
      call,
    );
  }

  /** `POST /api/video/buffer/batch`: always base64 JSON (the gateway reads this route's frames from JSON only). */
  async addFramesBatch(frames: BufferBatchInput[], call?: CallOptions): Promise<BufferBatchReply> {
    const value = await Promise.all(frames.map(async (f) => ({ ...f, frame_data: await toBase64(f.frame_data) })));
    const spec: RequestSpec = {
      method: 'POST',
      path: HTTP_ROUTES.bufferBatch,
      body: { kind: 'json', value: { frames: value } },
    };
    return (await this.http.json<BufferBatchReply>(spec, call)).body;
  }

  /** `POST /api/video/upload`: the client's last video, used by analyze and `use_server_buffer` alerts. */
  uploadVideo(input: VideoUploadInput, call?: CallOptions): Promise<VideoUploadReply> {
    const { video_data, ...fields } = input;
    const filename = input.video_filename ?? 'video.mp4';
    return this.send(HTTP_ROUTES.upload, fields, [{ name: 'video_data', data: video_data, type: MP4, filename }], call);
  }

  /**
   * `POST /api/video/analyze`: `frame` and/or `frames` (oldest first); neither = what the client last buffered or
   * uploaded. The gateway runs the screening stage and, on a hit, the confirming one.
   */
  analyzeFrame(input: AnalyzeInput = {}, call?: CallOptions): Promise<AnalyzeReply> {
    const { frame, frames, confirm_frames, ...fields } = input;
    const parts: FilePart[] = [];
    if (frame) parts.push({ name: 'frame', data: frame, type: JPEG, filename: 'frame.jpg' });
    (frames ?? []).forEach((data, i) => parts.push({ name: 'frames', data, type: JPEG, filename: frameName(i) }));
    (confirm_frames ?? []).forEach((data, i) =>
      parts.push({ name: 'confirm_frames', data, type: JPEG, filename: frameName(i) }),
    );
    if (parts.length === 0 && frame === null) Object.assign(fields, { frame: null });
    return this.send(HTTP_ROUTES.analyze, fields, parts, call, { arrays: ['frames', 'confirm_frames'] });
  }

  /**
   * `POST /api/video/alert`: one e-mail with the clip (`video_data`) or the server's buffer (`use_server_buffer`).
   * Resolves on 200 (delivered or suppressed) and on 207 (`success: false`: not delivered in time).
   */
  sendSecurityAlert(input: AlertInput, call: AlertCallOptions = {}): Promise<AlertReply> {
    const { idempotencyKey: given, ...rest } = call;
    const idempotencyKey = wireIdempotencyKey(given ?? randomUUID());
    const { video_data, snapshot, ...fields } = input;
    const withKey = { ...fields, idempotency_key: idempotencyKey };
    const parts: FilePart[] = video_data
      ? [{ name: 'video_data', data: video_data, type: MP4, filename: input.video_filename ?? 'incident.mp4' }]
      : [];
    if (snapshot) parts.push({ name: 'snapshot', data: snapshot, type: JPEG, filename: 'snapshot.jpg' });
    const headers = { ...rest.headers, [IDEMPOTENCY_HEADER]: idempotencyKey };
    return this.send(HTTP_ROUTES.alert, withKey, parts, { ...rest, headers });
  }

  /** `POST /api/video/compress`: the video made to fit `max_size_mb` (20 by default), duration kept. */
  compressVideoForEmail(input: CompressInput, call?: CallOptions): Promise<CompressReply> {
    const { video_data, ...fields } = input;
    const filename = input.filename ?? 'video.mp4';
    return this.send(
      HTTP_ROUTES.compress,
      fields,
      [{ name: 'video_data', data: video_data, type: MP4, filename }],
      call,
    );
  }

  /** `POST /api/video/create`: JPEG frames (in order) → H.264 video. */
  createVideoFromFrames(input: CreateInput, call?: CallOptions): Promise<CreateReply> {
    const { frames, ...fields } = input;
    const parts = frames.map((data, i): FilePart => ({ name: 'frames', data, type: JPEG, filename: frameName(i) }));
    return this.send(HTTP_ROUTES.create, fields, parts, call, { arrays: ['frames'] });
  }

  /** `GET /api/storage/status`. */
  async getStorageStatus(call?: CallOptions): Promise<StorageStatusReply> {
    return (await this.http.json<StorageStatusReply>({ method: 'GET', path: HTTP_ROUTES.storageStatus }, call)).body;
  }

  /** `POST /api/storage/cleanup` (`max_age_hours` 24, `type` old by default on the server). */
  async cleanupStorage(input: CleanupBody = {}, call?: CallOptions): Promise<CleanupReply> {
    const spec: RequestSpec = {
      method: 'POST',
      path: HTTP_ROUTES.storageCleanup,
      body: { kind: 'json', value: input },
    };
    return (await this.http.json<CleanupReply>(spec, call)).body;
  }

  /** `GET /api/usage`: the key's last calls and per-day counters. */
  async getUsageStats(call?: CallOptions): Promise<UsageReply> {
    return (await this.http.json<UsageReply>({ method: 'GET', path: HTTP_ROUTES.usage }, call)).body;
  }

  /** `POST /api/incidents`: records the incident as open (idempotent on `idempotencyKey`). */
  async announceIncident(input: IncidentAnnounce, call?: CallOptions): Promise<IncidentRecord> {
    const spec: RequestSpec = { method: 'POST', path: HTTP_ROUTES.incidents, body: { kind: 'json', value: input } };
    return (await this.http.json<IncidentRecord>(spec, call)).body;
  }

  /** `POST /api/incidents/{id}/clip`: the clip of an incident the agent recorded after mailing it itself. */
  uploadIncidentClip(id: string, video: BinaryInput, call?: CallOptions): Promise<IncidentRecord> {
    const parts: FilePart[] = [{ name: 'video_data', data: video, type: MP4, filename: 'incident.mp4' }];
    return this.send(routeWithId(HTTP_ROUTES.incidentClip, id), {}, parts, call);
  }

  /** `GET /api/incidents`: the client's incidents, newest first. */
  async listIncidents(query: IncidentListQuery = {}, call?: CallOptions): Promise<IncidentPage> {
    const spec: RequestSpec = { method: 'GET', path: HTTP_ROUTES.incidents, query: { ...query } };
    return (await this.http.json<IncidentPage>(spec, call)).body;
  }

  /** `POST /api/cameras/heartbeat`: the agent's cameras and their state. */
  async sendHeartbeat(body: CameraHeartbeatBody, call?: CallOptions): Promise<CameraList> {
    const spec: RequestSpec = {
      method: 'POST',
      path: HTTP_ROUTES.cameraHeartbeat,
      body: { kind: 'json', value: body },
    };
    return (await this.http.json<CameraList>(spec, call)).body;
  }

  /** `GET /api/jobs/:id`: state and result of a job started with `Prefer: respond-async`. */
  async getJob(jobId: string, call?: CallOptions): Promise<JobStatusReply> {
    const spec: RequestSpec = { method: 'GET', path: routeWithId(HTTP_ROUTES.job, jobId) };
    return (await this.http.json<JobStatusReply>(spec, call)).body;
  }

  /** `GET /api/video/download/:id`, streamed: the caller pipes it somewhere and nothing holds the whole video. */
  async downloadVideo(videoId: string, call?: CallOptions): Promise<VideoDownload> {
    const reply = await this.http.stream({ method: 'GET', path: routeWithId(HTTP_ROUTES.download, videoId) }, call);
    const length = reply.headers.get('content-length');
    const disposition = reply.headers.get('content-disposition');
    const filename = disposition ? /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition)?.[1] : undefined;
    return {
      stream: reply.body,
      contentType: reply.headers.get('content-type') ?? 'application/octet-stream',
      contentLength: length !== null && /^\d+$/.test(length) ? Number(length) : undefined,
      filename: filename ? decodeURIComponent(filename) : undefined,
    };
  }

  /**
   * POSTs `fields` plus binary `parts`: as multipart (text parts + file parts named like the JSON fields) or as
   * base64 JSON. `arrays` names the fields that are arrays in the JSON form even with a single part.
   */
  private send<T>(
    path: string,
    fields: Record<string, unknown>,
    parts: FilePart[],
    call?: CallOptions,
    shape: { arrays?: string[] } = {},
  ): Promise<T> {
    const body = async (encoding: BinaryEncoding): Promise<RequestBody> => {
      if (parts.length === 0) return { kind: 'json', value: fields };
      if (encoding === 'base64') {
        const value: Record<string, unknown> = { ...fields };
        for (const part of parts) {
          const encoded = await toBase64(part.data);
          if (shape.arrays?.includes(part.name)) ((value[part.name] ??= []) as string[]).push(encoded);
          else value[part.name] = encoded;
        }
        return { kind: 'json', value };
      }
      const form = new FormData();
      appendFields(form, fields);
      for (const part of parts) form.append(part.name, toBlob(part.data, part.type), part.filename);
      return { kind: 'form', value: form };
    };
    return this.post<T>(path, body, call);
  }

  private async post<T>(
    path: string,
    body: (encoding: BinaryEncoding) => Promise<RequestBody>,
    call?: CallOptions,
  ): Promise<T> {
    const encoding: BinaryEncoding = this.base64Routes.has(path) ? 'base64' : this.encoding;
    const first = await body(encoding);
    try {
      return (await this.http.json<T>({ method: 'POST', path, body: first }, call)).body;
    } catch (err) {
      // 415: this gateway does not take multipart on this route; the earlier API's base64 JSON always works.
      if (!(err instanceof ApiError) || err.status !== 415 || first.kind !== 'form') throw err;
      this.base64Routes.add(path);
      return (await this.http.json<T>({ method: 'POST', path, body: await body('base64') }, call)).body;
    }
  }
}

function frameName(i: number): string {
  return `frame-${String(i).padStart(4, '0')}.jpg`;
}

function routeWithId(route: string, id: string): string {
  return route.replace(':id', encodeURIComponent(id));
}
