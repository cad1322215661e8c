export * from './build-context';
export * from './context-walk';
export * from './copy-sources';
export * from './ignore-file';
export * from './ignore-pattern';
export * from './source-glob';
export * from './copy-key-index';
export * from './symlink-scope';
