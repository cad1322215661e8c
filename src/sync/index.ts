export * from './destination';
export * from './plan';
export * from './report';
export * from './shard';
export * from './sync';
export * from './sync-client';
export * from './sync-file';
export { compileTagPattern, type TagPattern } from './tag-pattern';
export * from './source-argument';
