export * from './destination';
export * from './source';
