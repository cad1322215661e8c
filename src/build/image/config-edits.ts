import type { HistoryEntry, StageImage } from './stage-image';

/**
 * The config effects of the Dockerfile instructions that add no layer (Dockerfile reference, each
 * instruction's section). Every function returns a new StageImage with one history entry marked
 * `empty_layer`, as docker build and buildah record them. Pure: the planner and the cache key use them too.
 */
function withConfig(
  stage: StageImage,
  createdBy: string,
  edit: (config: Record<string, unknown>) => void,
  created?: string,
): StageImage {
  // A shallow copy: each edit below replaces the fields it changes with new values and never mutates a nested
  // object or array in place, so the previous stage keeps its own. (A deep clone per instruction made a build
  // quadratic in its instruction count: 3,000 LABELs spent 2.4 s cloning.)
  const runConfig = { ...stage.runConfig };
  edit(runConfig);
  const entry: HistoryEntry = {
    ...(created !== undefined && { created }),
    created_by: createdBy,
    empty_layer: true,
  };
  return { ...stage, runConfig, history: [...stage.history, entry] };
}

/** ENV: later values replace earlier ones of the same name, keeping the original position (docker's order). */
export function setEnv(
  stage: StageImage,
  pairs: [string, string][],
  createdBy: string,
  created?: string,
): StageImage {
  return withConfig(
    stage,
    createdBy,
    (config) => {
      const env = [...((config.Env as string[] | undefined) ?? [])];
      for (const [key, value] of pairs) {
        const index = env.findIndex((entry) => entry.split('=', 1)[0] === key);
        if (index >= 0) env[index] = `${key}=${value}`;
        else env.push(`${key}=${value}`);
      }
      config.Env = env;
    },
    created,
  );
}

export function addLabels(
  stage: StageImage,
  labels: Record<string, string>,
  createdBy: string,
  created?: string,
): StageImage {
  return withConfig(
    stage,
    createdBy,
    (config) => {
      config.Labels = { ...((config.Labels as Record<string, string> | undefined) ?? {}), ...labels };
    },
    created,
  );
}

/** The config fields an instruction replaces whole: WORKDIR, USER, STOPSIGNAL, CMD, SHELL, HEALTHCHECK. */
export interface ReplacedFields {
  WorkingDir: string;
  User: string;
  StopSignal: string;
  Cmd: string[];
  Shell: string[];
  Healthcheck: Record<string, unknown>;
}

export function setField<F extends keyof ReplacedFields>(
  stage: StageImage,
  field: F,
  value: ReplacedFields[F],
  createdBy: string,
  created?: string,
): StageImage {
  return withConfig(
    stage,
    createdBy,
    (config) => {
      config[field] = value;
    },
    created,
  );
}

/** EXPOSE and VOLUME are sets keyed by name with empty objects as values (image-spec config.md). */
export function addToSet(
  stage: StageImage,
  field: 'ExposedPorts' | 'Volumes',
  keys: string[],
  createdBy: string,
  created?: string,
): StageImage {
  return withConfig(
    stage,
    createdBy,
    (config) => {
      const set = { ...((config[field] as Record<string, object> | undefined) ?? {}) };
      for (const key of keys) set[key] = {};
      config[field] = set;
    },
    created,
  );
}

/** Dockerfile reference (ENTRYPOINT): "If CMD is defined from the base image, setting ENTRYPOINT will reset CMD". */
export function setEntrypoint(
  stage: StageImage,
  entrypoint: string[],
  cmdSetInThisStage: boolean,
  createdBy: string,
  created?: string,
): StageImage {
  return withConfig(
    stage,
    createdBy,
    (config) => {
      config.Entrypoint = entrypoint;
      if (!cmdSetInThisStage) delete config.Cmd;
    },
    created,
  );
}

/** ONBUILD triggers are stored, never run by this build (Dockerfile reference: ONBUILD). */
export function addOnbuild(
  stage: StageImage,
  trigger: string,
  createdBy: string,
  created?: string,
): StageImage {
  return withConfig(
    stage,
    createdBy,
    (config) => {
      config.OnBuild = [...((config.OnBuild as string[] | undefined) ?? []), trigger];
    },
    created,
  );
}

/** A history entry for an instruction that changes nothing in the config (ARG, MAINTAINER's author aside…). */
export function addHistory(stage: StageImage, createdBy: string, created?: string): StageImage {
  return withConfig(stage, createdBy, () => undefined, created);
}
