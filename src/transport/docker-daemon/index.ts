export * from './connection';
export * from './daemon-error';
export * from './destination';
export * from './source';
