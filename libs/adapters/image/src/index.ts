export * from './image.adapter';
export * from './mask-svg';
export * from './perceptual-hash';
