export { BuildCache, BUILD_CACHE_DIR, type CacheEntry } from './build-cache';
export { baseKey, registryLayerKey, stepKey } from './cache-key';
