export * from './event-maintainer';
export * from './scene-memory';
