export * from './digest';
export * from './verifying-stream';
export * from './blob-verifier';
