export * from './scenes';
export * from './score';
export * from './synthetic-scene';
