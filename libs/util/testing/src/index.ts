export {};
export * from './fake-gemini';
export * from './smtp';
