export * from './analysis-provider';
export * from './gemini.adapter';
export * from './prompts';
export * from './response-schema';
export * from './verdict-schema';
export * from './create-analysis-provider';
