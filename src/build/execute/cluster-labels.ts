import { addLabels } from '../image/config-edits';
import type { StageImage } from '../image/stage-image';
import type { ConfigEdit } from '../plan/types';
import { unknownApp, type EditContext } from './apply-config';

/** docs/kubefile.md "How they are recorded in the image config". */
export const Labels = {
  apps: 'io.kimg.apps',
  launch: 'io.kimg.launch',
  kubeVersion: 'app.alpha.sealer.io/supported-kube-version',
  cni: 'cluster.alpha.sealer.io/kube-cni',
  csi: 'cluster.alpha.sealer.io/kube-csi',
} as const;

interface AppRecord {
  name: string;
  kind: 'app' | 'cni' | 'csi';
  sources: string[];
  cmds?: string[];
  env?: Record<string, string>;
}

type ClusterEdit = Extract<ConfigEdit, { op: 'app' | 'appcmds' | 'appenv' | 'launch' | 'kubeversion' }>;

/**
 * The sealer instructions as labels: the apps list is read back from the stage (so a base image's apps are
 * merged, and APPCMDS/APPENV may name an app the base declared), edited, and written as JSON again.
 */
export function applyClusterEdit(stage: StageImage, edit: ClusterEdit, ctx: EditContext): StageImage {
  const labels = (stage.runConfig.Labels as Record<string, string> | undefined) ?? {};
  const set = (values: Record<string, string>) => addLabels(stage, values, ctx.createdBy, ctx.created);
  switch (edit.op) {
    case 'kubeversion':
      return set({ [Labels.kubeVersion]: edit.range });
    case 'launch':
      return set({ [Labels.launch]: JSON.stringify(edit.launch) });
    case 'app': {
      const apps = readApps(labels).filter((app) => app.name !== edit.app.name);
      apps.push({ ...edit.app });
      return set({ [Labels.apps]: JSON.stringify(apps), ...pluginLabels(apps) });
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
      return set({ [Labels.apps]: JSON.stringify(apps) });
    }
  }
}

function readApps(labels: Record<string, string>): AppRecord[] {
  try {
    const parsed = JSON.parse(labels[Labels.apps] ?? '[]') as unknown;
    return Array.isArray(parsed) ? (parsed as AppRecord[]) : [];
  } catch {
    return []; // a base image with a broken label: start over rather than fail the build
  }
}

function pluginLabels(apps: readonly AppRecord[]): Record<string, string> {
  const names = (kind: AppRecord['kind']) =>
    apps
      .filter((a) => a.kind === kind)
      .map((a) => a.name)
      .join(',');
  return {
    ...(names('cni') && { [Labels.cni]: names('cni') }),
    ...(names('csi') && { [Labels.csi]: names('csi') }),
  };
}
