export * from './errors';
export * from './risk';
export * from './analysis';
export * from './jobs';
export * from './validate';
export * from './camera';
export * from './http';
export * from './formats';
