export * from './digest';
export * from './verifying-stream';
