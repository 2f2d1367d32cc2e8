import type { Redis } from 'ioredis';
import type { BlobStore } from './blob.store';

/** The client's last uploaded video (`POST /api/video/upload`), used by analyze and alert. */
export interface LastUpload {
  artifactId: string;
  filename: string;
  sizeBytes: number;
  durationSeconds: number;
  frameCount: number;
  /** Stills sampled from the video at upload (BlobStore keys, oldest first), analyzed instead of the file. */
  frameBlobKeys?: string[];
  uploadedAt: string;
}

export interface SourceInfo {
  sourceId: string;
  sourceName: string | null;
  bufferSize: number;
  frameCount: number;
  /** ISO time of the last frame pushed. */
  updatedAt: string | null;
}

/** What the private video page shows next to the player (written when an alert is sent). */
export interface VideoMeta {
  analysis: string;
  riskLevel: string;
  incidentType: string;
  cameraName: string;
  occurredAt: string;
}

export interface ClientStateStoreOptions {
  redis: Redis;
  /** Key prefix shared with the queue (tests use a unique one). */
  prefix?: string;
  /** Every state key expires this long after its last write. */
  ttlSeconds: number;
  /** Frames kept per buffer (oldest dropped first). */
  maxFrames: number;
  /**
   * The blobs the buffers point at: frames trimmed from a buffer are deleted at once (unless a job holds
   * them) and frames taken for a job are held. Without it, trimmed blobs wait for their TTL.
   */
  blobs?: BlobStore;
}

/** The default buffer's source id (single-camera routes). */
export const DEFAULT_SOURCE = '_';

/**
 * Per-client state of the gateway, in Redis with a TTL so any gateway instance can serve the next call
 * (the earlier server kept it in one process's memory and lost it between workers). Buffers and the last
 * upload hold BlobStore keys, never bytes: with `blobs`, they bind the blobs they point at and release
 * those they let go of; the blobs expire on their own at the latest.
 */
export class ClientStateStore {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly ttl: number;
  private readonly maxFrames: number;
  private readonly blobs: BlobStore | undefined;

  constructor(options: ClientStateStoreOptions) {
    this.redis = options.redis;
    this.prefix = options.prefix ?? 'vigint';
    this.ttl = options.ttlSeconds;
    this.maxFrames = options.maxFrames;
    this.blobs = options.blobs;
  }

  private key(clientId: string, ...parts: string[]): string {
    return [this.prefix, 'state', clientId, ...parts].join(':');
  }

  /** Appends frames (oldest first) to a buffer; returns the buffer size after trimming (trimmed blobs deleted). */
  async pushFrames(
    clientId: string,
    sourceId: string,
    blobKeys: string[],
    meta: { frameCount?: number | null; sourceName?: string | null } = {},
  ): Promise<number> {
    if (blobKeys.length === 0) return this.bufferSize(clientId, sourceId);
    const list = this.key(clientId, 'frames', sourceId);
    const sources = this.key(clientId, 'sources');
    const prev = await this.redis.hget(sources, sourceId);
    const info = prev
      ? (JSON.parse(prev) as { name: string | null; frameCount: number })
      : { name: null, frameCount: 0 };
    const next = {
      name: meta.sourceName ?? info.name,
      frameCount: meta.frameCount ?? info.frameCount + blobKeys.length,
      updatedAt: new Date().toISOString(),
    };
    const res = await this.redis
      .multi()
      .rpush(list, ...blobKeys)
      .lrange(list, 0, -this.maxFrames - 1)
      .ltrim(list, -this.maxFrames, -1)
      .expire(list, this.ttl)
      .hset(sources, sourceId, JSON.stringify(next))
      .expire(sources, this.ttl)
      .llen(list)
      .exec();
    const trimmed = res?.[1]?.[1];
    // The buffer points at the new frames now (a job's release leaves them); it let go of the trimmed ones.
    if (this.blobs) await this.blobs.bind(clientId, blobKeys);
    if (this.blobs && Array.isArray(trimmed) && trimmed.length > 0) {
      await this.blobs.release(clientId, trimmed as string[]);
    }
    const llen = res?.[6]?.[1];
    return typeof llen === 'number' ? llen : 0;
  }

  /**
   * The last `limit` frames of a buffer, oldest first, for a job: they are held, so trimming the buffer
   * later does not delete them before the job reads them (they expire with the state TTL).
   */
  async getFrames(clientId: string, sourceId: string, limit = this.maxFrames): Promise<string[]> {
    const keys = await this.redis.lrange(this.key(clientId, 'frames', sourceId), -limit, -1);
    if (this.blobs && keys.length > 0) await this.blobs.hold(clientId, keys, this.ttl);
    return keys;
  }

  async bufferSize(clientId: string, sourceId: string): Promise<number> {
    return this.redis.llen(this.key(clientId, 'frames', sourceId));
  }

  async clearFrames(clientId: string, sourceId: string): Promise<void> {
    const list = this.key(clientId, 'frames', sourceId);
    const [[, keys]] = ((await this.redis.multi().lrange(list, 0, -1).del(list).exec()) ?? [[null, []]]) as [
      [unknown, string[]],
    ];
    if (this.blobs && keys?.length) await this.blobs.release(clientId, keys);
  }

  async listSources(clientId: string): Promise<SourceInfo[]> {
    const all = await this.redis.hgetall(this.key(clientId, 'sources'));
    const out: SourceInfo[] = [];
    for (const [sourceId, raw] of Object.entries(all)) {
      const info = JSON.parse(raw) as { name: string | null; frameCount: number; updatedAt?: string };
      out.push({
        sourceId,
        sourceName: info.name,
        frameCount: info.frameCount,
        updatedAt: info.updatedAt ?? null,
        bufferSize: await this.bufferSize(clientId, sourceId),
      });
    }
    return out.sort((a, b) => a.sourceId.localeCompare(b.sourceId));
  }

  /** Replaces the client's last upload; the stills of the one it replaces are released (see BlobStore.release). */
  async setLastUpload(clientId: string, upload: LastUpload): Promise<void> {
    if (this.blobs && upload.frameBlobKeys?.length) await this.blobs.bind(clientId, upload.frameBlobKeys);
    const prev = await this.redis.set(this.key(clientId, 'upload'), JSON.stringify(upload), 'EX', this.ttl, 'GET');
    const old = prev ? ((JSON.parse(prev) as LastUpload).frameBlobKeys ?? []) : [];
    const keep = new Set(upload.frameBlobKeys ?? []);
    const gone = old.filter((k) => !keep.has(k));
    if (this.blobs && gone.length > 0) await this.blobs.release(clientId, gone);
  }

  async getLastUpload(clientId: string): Promise<LastUpload | null> {
    const raw = await this.redis.get(this.key(clientId, 'upload'));
    return raw ? (JSON.parse(raw) as LastUpload) : null;
  }

  async getSource(clientId: string, sourceId: string): Promise<SourceInfo | null> {
    const raw = await this.redis.hget(this.key(clientId, 'sources'), sourceId);
    if (!raw) return null;
    const info = JSON.parse(raw) as { name: string | null; frameCount: number; updatedAt?: string };
    return {
      sourceId,
      sourceName: info.name,
      frameCount: info.frameCount,
      updatedAt: info.updatedAt ?? null,
      bufferSize: await this.bufferSize(clientId, sourceId),
    };
  }

  /** Page metadata of a private video link; kept as long as the link is valid. Not per client: the link's HMAC is the access check. */
  async setVideoMeta(videoId: string, meta: VideoMeta, ttlSeconds: number): Promise<void> {
    await this.redis.set(
      [this.prefix, 'video-meta', videoId].join(':'),
      JSON.stringify(meta),
      'EX',
      Math.ceil(ttlSeconds),
    );
  }

  async getVideoMeta(videoId: string): Promise<VideoMeta | null> {
    const raw = await this.redis.get([this.prefix, 'video-meta', videoId].join(':'));
    return raw ? (JSON.parse(raw) as VideoMeta) : null;
  }

  /** Deletes the page metadata (analysis, camera name) of these videos (erasure). */
  async deleteVideoMeta(videoIds: string[]): Promise<void> {
    if (videoIds.length === 0) return;
    await this.redis.del(...videoIds.map((id) => [this.prefix, 'video-meta', id].join(':')));
  }

  /** Forgets everything about a client (erasure, tests), and with `blobs` deletes every frame it stored. */
  async clear(clientId: string): Promise<void> {
    const keys = ['frames', 'sources', 'upload'].map((p) => this.key(clientId, p));
    const sources = await this.redis.hkeys(this.key(clientId, 'sources'));
    for (const s of sources) keys.push(this.key(clientId, 'frames', s));
    await this.redis.del(...keys);
    if (this.blobs) await this.blobs.eraseClient(clientId);
  }
}
