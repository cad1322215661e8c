export * from './kimg-error';
