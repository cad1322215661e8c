import { appRecordsSchema, ClusterLabels, readLabelRecord, type AppRecord } from '../../cluster';
import { addLabels } from '../image/config-edits';
import type { StageImage } from '../image/stage-image';
import type { ConfigEdit } from '../plan/types';
import { unknownApp, type EditContext } from './apply-config';

type ClusterEdit = Extract<ConfigEdit, { op: 'app' | 'appcmds' | 'appenv' | 'launch' | 'kubeversion' }>;

/**
 * The sealer instructions as labels (docs/kubefile.md "How they are recorded in the image config"; the keys and
 * record schemas are cluster/'s): the apps list is read back from the stage (so a base image's apps are
 * merged, and APPCMDS/APPENV may name an app the base declared), edited, and written as JSON again.
 */
export function applyClusterEdit(stage: StageImage, edit: ClusterEdit, ctx: EditContext): StageImage {
  const labels = (stage.runConfig.Labels as Record<string, string> | undefined) ?? {};
  const set = (values: Record<string, string>) => addLabels(stage, values, ctx.createdBy, ctx.created);
  switch (edit.op) {
    case 'kubeversion':
      return set({ [ClusterLabels.kubeVersion]: edit.range });
    case 'launch':
      return set({ [ClusterLabels.launch]: JSON.stringify(edit.launch) });
    case 'app': {
      const apps = readApps(labels).filter((app) => app.name !== edit.app.name);
      apps.push({ ...edit.app });
      return set({ [ClusterLabels.apps]: JSON.stringify(apps), ...pluginLabels(apps) });
    }
    default: {
      const apps = readApps(labels);
      const app = apps.find((a) => a.name === edit.name);
      if (!app)
        throw unknownApp(
          edit.name,
          ctx.at,
          apps.map((a) => a.name),
        );
      if (edit.op === 'appcmds') app.cmds = edit.cmds;
      else app.env = { ...app.env, ...edit.env };
      return set({ [ClusterLabels.apps]: JSON.stringify(apps) });
    }
  }
}

function readApps(labels: Record<string, string>): AppRecord[] {
  const read = readLabelRecord(labels, ClusterLabels.apps, () => appRecordsSchema, []);
  // A base image with a broken label: start over rather than fail the build.
  return read.ok ? read.value.map((app) => ({ ...app })) : [];
}

function pluginLabels(apps: readonly AppRecord[]): Record<string, string> {
  const names = (kind: AppRecord['kind']) =>
    apps
      .filter((a) => a.kind === kind)
      .map((a) => a.name)
      .join(',');
  return {
    ...(names('cni') && { [ClusterLabels.cni]: names('cni') }),
    ...(names('csi') && { [ClusterLabels.csi]: names('csi') }),
  };
}
