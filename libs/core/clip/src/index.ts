export * from './clip-plan';
export * from './clip.service';
export * from './size-budget';
export * from './privacy-masker';
