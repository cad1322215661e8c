export { BuildCache, BUILD_CACHE_DIR, type CacheEntry } from './build-cache';
export { baseKey, layerKey, probeKey, registryLayerKey, stepKey } from './cache-key';
export { RACY_MARGIN_MS, StatIndex, STAT_INDEX_DIR } from './stat-index';
