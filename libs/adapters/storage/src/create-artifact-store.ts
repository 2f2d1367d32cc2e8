import type { ArtifactStore, StorageBackend } from './artifact-store';
import { DiskArtifactStore } from './disk-artifact.store';
import type { S3StoreConfig } from './s3-artifact.store';

export interface ArtifactStoreConfig {
  backend: StorageBackend;
  /** disk: STORAGE_DIR. */
  storageDir?: string;
  /** postgres: DATABASE_URL (the migrated database holding `artifact_chunks`). */
  databaseUrl?: string;
  /** s3: endpoint, bucket, region, credentials. */
  s3?: S3StoreConfig;
  /** postgres: rows of this many bytes (default 1 MiB). */
  chunkSize?: number;
}

/** The storage variables as the gateway and the worker read them (docs/configuration.md). */
export interface ArtifactStoreEnv {
  STORAGE_BACKEND: StorageBackend;
  STORAGE_DIR?: string;
  DATABASE_URL?: string;
  S3_BUCKET?: string;
  S3_ENDPOINT?: string;
  S3_REGION?: string;
  S3_ACCESS_KEY_ID?: string;
  S3_SECRET_ACCESS_KEY?: string;
}

/** One reading of those variables for every process that stores artifacts. */
export function artifactStoreConfigOf(env: ArtifactStoreEnv): ArtifactStoreConfig {
  return {
    backend: env.STORAGE_BACKEND,
    storageDir: env.STORAGE_DIR,
    databaseUrl: env.DATABASE_URL,
    ...(env.S3_BUCKET
      ? {
          s3: {
            bucket: env.S3_BUCKET,
            endpoint: env.S3_ENDPOINT,
            region: env.S3_REGION,
            accessKeyId: env.S3_ACCESS_KEY_ID,
            secretAccessKey: env.S3_SECRET_ACCESS_KEY,
          },
        }
      : {}),
  };
}

/**
 * Picks the backend. postgres and s3 are imported only when chosen, so a process on the disk backend
 * (the edge agent) never loads `pg` or the AWS SDK.
 */
export async function createArtifactStore(config: ArtifactStoreConfig): Promise<ArtifactStore> {
  switch (config.backend) {
    case 'disk':
      if (!config.storageDir) throw new Error('STORAGE_DIR is required for STORAGE_BACKEND=disk');
      return new DiskArtifactStore(config.storageDir);
    case 'postgres': {
      if (!config.databaseUrl) throw new Error('DATABASE_URL is required for STORAGE_BACKEND=postgres');
      const { PostgresArtifactStore } = await import('./postgres-artifact.store');
      return new PostgresArtifactStore(config.databaseUrl, { chunkSize: config.chunkSize });
    }
    case 's3': {
      if (!config.s3?.bucket) throw new Error('an S3 bucket is required for STORAGE_BACKEND=s3');
      const { S3ArtifactStore } = await import('./s3-artifact.store');
      return new S3ArtifactStore(config.s3);
    }
    default:
      throw new Error(`unknown STORAGE_BACKEND: ${String((config as { backend: unknown }).backend)}`);
  }
}
