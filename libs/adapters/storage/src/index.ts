// Only the disk backend is loaded with this entry point; postgres and s3 come from their own entry points
// (`@vigint/storage/postgres`, `@vigint/storage/s3`) or lazily through createArtifactStore.
export * from './artifact-store';
export * from './disk-artifact.store';
export * from './create-artifact-store';
export type { S3StoreConfig } from './s3-artifact.store';
export type { PostgresArtifactStoreOptions } from './postgres-artifact.store';
