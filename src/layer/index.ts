export * from './compression';
export * from './decompress-archive';
export * from './entry-name';
export * from './tar-index';
export * from './tar-scan';
export * from './tar-writer';
