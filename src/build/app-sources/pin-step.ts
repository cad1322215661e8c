import { appRecordsSchema, ClusterLabels, readLabelRecord, type AppSourcePin } from '../../cluster';
import { withLabels } from '../execute/build-output';
import type { FinalizeStep } from '../finalize';

/**
 * The finalize step that pins the remote sources of this build's apps in `io.kimg.apps`: each app record gets
 * `pins`, one per source fetched (`{source, digest, version}`), so the image says which bytes its charts and
 * files were made from. Sources of a base image's apps keep the pins their own build wrote.
 */
export const pinAppSources: FinalizeStep = {
  name: 'pin app sources',
  apply: async (image, { session }) => {
    const fetched = await session.apps.pins();
    if (fetched.length === 0) return image;
    const labels = image.runConfig.Labels as Record<string, string> | undefined;
    const read = readLabelRecord(labels, ClusterLabels.apps, () => appRecordsSchema, []);
    if (!read.ok) return image;
    let changed = false;
    const apps = read.value.map((app) => {
      const pins: AppSourcePin[] = fetched
        .filter((pin) => pin.app === app.name && app.sources.includes(pin.source))
        .map((pin) => ({
          source: pin.source,
          digest: pin.digest,
          ...(pin.version !== undefined && pin.version !== '' && { version: pin.version }),
        }));
      if (pins.length === 0) return app;
      changed = true;
      return { ...app, pins };
    });
    return changed ? withLabels(image, { [ClusterLabels.apps]: JSON.stringify(apps) }) : image;
  },
};
