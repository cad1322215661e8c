export * from './dockerd';
export * from './run';
export * from './temp';
export * from './kimg';
export * from './tree-hash';
