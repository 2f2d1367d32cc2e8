export * from './migration-runner';
