export * from './copy-graph';
export * from './limiter';
export * from './transfer';
