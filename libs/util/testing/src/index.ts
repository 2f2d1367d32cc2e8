export * from './fake-gemini';
export * from './smtp';
export * from './postgres';
export * from './redis';
export * from './media';
export * from './process';
export * from './rtsp';
