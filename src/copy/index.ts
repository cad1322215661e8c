export * from './attached';
export * from './convert-format';
export * from './copy-graph';
export * from './limiter';
export * from './overlay-source';
export * from './platform-selection';
export * from './transfer';
export * from './copy-image';
