export * from './openai.adapter';
export * from './openai-errors';
export * from './openai-params';
export * from './verdict-json-schema';
