import type { BudgetService } from '@vigint/alerting';
import type { JobQueue, BlobStore, ClientStateStore, LimitStore, SessionStore } from '@vigint/queue';
import type { FfmpegAdapter } from '@vigint/ffmpeg';
import type { GatewayConfig } from '../config';
import type { GatewayRepository } from './gateway.repository';

import type { ArtifactStore } from '@vigint/storage';

/** The image checks the gateway runs before enqueueing (libs/adapters/image's ImageAdapter). */
export interface GatewayImageProbe {
  probe(buf: Buffer): Promise<{ width: number; height: number; format: string }>;
}

/** Everything the routes use, built once per app (tests pass their own parts). */
export interface GatewayServices {
  config: GatewayConfig;
  repo: GatewayRepository;
  /** Shared counters in Redis: rate limits, the failed-key throttle, quotas. */
  limits: LimitStore;
  /** Console sessions and one-time sign-in tokens. */
  sessions: SessionStore;
  queue: JobQueue;
  blobs: BlobStore;
  state: ClientStateStore;
  artifacts: ArtifactStore;
  images: GatewayImageProbe;
  ffmpeg: FfmpegAdapter;
  /** Per-client AI budgets: caps in PostgreSQL, spend counters in Redis shared with the workers. */
  budget: BudgetService;
}
