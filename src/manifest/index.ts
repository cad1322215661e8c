export * from './descriptor';
export * from './limits';
export * from './media-types';
export * from './parse';
export * from './schemas';
