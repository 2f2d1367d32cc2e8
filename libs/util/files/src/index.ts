export * from './json-file';
