export * from './archive-destination';
export * from './blob-stream';
export * from './layout-files';
export * from './open';
export * from './select-image';
