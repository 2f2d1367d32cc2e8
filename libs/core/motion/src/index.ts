export * from './motion-gate';
export * from './polygon-mask';
