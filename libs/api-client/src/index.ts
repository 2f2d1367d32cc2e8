export * from './vigint.client';
export * from './api-error';
export * from './retry-policy';
export { fileBlob, type BinaryInput } from './binary-body';
export type { CallOptions, FetchLike } from './http-transport';
