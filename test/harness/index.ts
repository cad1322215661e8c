export * from './dockerd';
export * from './run';
export * from './temp';
