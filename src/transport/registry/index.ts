export * from './client-factory';
export * from './registry-ref';
export * from './registry-target';
