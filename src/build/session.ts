import { resolve } from 'node:path';
import type { UrlClient } from '../registry/http/url-client';
import type { LocalStore } from '../transport/local';
import { openStore } from '../transport/open';
import { BuildCache, StatIndex } from './cache';
import { openBuildContext, type BuildContext } from './context/build-context';
import { LayerOutput } from './execute/layer-output';
import { UrlSources } from './execute/url-sources';
import { AppSources } from './app-sources/app-sources';
import type { BuildOptions } from './build';
import type { BuildSettings } from './settings';

/**
 * What a build holds open while it runs: the context (read once), the store transaction, the step cache, the
 * layer output and its scratch dir, the ADD-URL sources. `close` releases all of it, whatever happened.
 */
export interface BuildSession {
  context: BuildContext;
  store: LocalStore;
  cache: BuildCache;
  output: LayerOutput;
  urls: UrlSources;
  /** Remote APP/CNI/CSI sources (src/build/app-sources): fetched once, pinned in the report and the label. */
  apps: AppSources;
  close(): Promise<void>;
}

export async function openSession(options: BuildOptions, settings: BuildSettings): Promise<BuildSession> {
  const { signal } = options;
  const store = openStore(options.open.storeRoot);
  const cache = new BuildCache(store.root);
  // The stat index (cache/stat-index.ts): files unchanged since an earlier build are not read for their keys.
  const walkStarted = Date.now();
  const index = await StatIndex.load(cache.dir, resolve(options.context), walkStarted, !settings.noCache);
  const context = await openBuildContext(options.context, {
    ...(options.ignoreFile !== undefined && { ignoreFile: options.ignoreFile }),
    maxIgnoreFileSize: settings.maxIgnoreFileSize,
    index,
  });
  cache.track(index);
  const output = new LayerOutput(store, store.root, { ...settings.layers, ...(signal && { signal }) });
  let client: Promise<UrlClient> | undefined;
  const urls = new UrlSources({
    cache,
    // Loaded on first ADD of a URL: undici is a large part of start-up and most builds never need it.
    client: () => (client ??= import('../registry/http/url-client').then(({ UrlClient }) => new UrlClient())),
    scratch: (name) => output.scratch(name),
    ...(settings.maxDownloadSize !== undefined && { maxBytes: settings.maxDownloadSize }),
    noCache: settings.noCache,
    ...(signal && { signal }),
  });
  const apps = new AppSources({
    open: options.open,
    scratch: (name) => output.scratch(name),
    ...settings.appSources,
    ...(signal && { signal }),
  });
  return {
    context,
    store,
    cache,
    output,
    urls,
    apps,
    close: async () => {
      await (await client?.catch(() => undefined))?.close();
      await apps.close();
      await output.close();
      await store.close();
    },
  };
}
