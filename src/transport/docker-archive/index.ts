export * from './destination';
export * from './manifest-json';
export * from './source';
