export * from './repo-root';
export * from './dockerfile.parser';
export * from './dockerfile.rules';
export * from './compose.rules';
export * from './compose.loader';
export * from './render.rules';
export * from './env-docs';
export * from './bundle.check';
