export { BuildCache, BUILD_CACHE_DIR, type CacheEntry } from './build-cache';
export { baseKey, stepKey } from './cache-key';
