export * from './client-state.store';
export * from './job-queue';
export * from './job-options';
export * from './job-error';
export * from './blob.store';
export * from './worker-factory';
export * from './redis-connection';
export * from './limit.store';
