export * from './gemini.adapter';
export * from './gemini-errors';
export * from './gemini-thinking';
export * from './response-schema';
export * from './verdict-schema';
