export * from './ffmpeg-binary';
export * from './ffmpeg.adapter';
export * from './ffmpeg.presets';
export * from './invalid-input';
export * from './probe-parser';
export * from './video-info';
export * from './capture.presets';
