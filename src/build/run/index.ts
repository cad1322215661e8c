export * from './layer-sink';
export * from './normalize-layer';
export * from './run-command';
export * from './run-container';
export * from './run-instruction';
export { TEMP_REPOSITORY } from './load-stage';
