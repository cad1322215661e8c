export * from './confine';
export * from './directory-walk';
export * from './read-bounded';
export * from './regular-file';
export * from './atomic-file';
