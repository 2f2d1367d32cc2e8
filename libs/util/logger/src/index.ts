export * from './logger';
export * from './pretty-stream';
