export * from './ffmpeg-binary';
