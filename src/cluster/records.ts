import type { z } from 'zod';
import { defineLazyExports, zod } from '../lazy/lazy';

/**
 * The JSON records kept in cluster-image labels, as zod schemas so every reader validates instead of casting.
 * Unknown fields are kept (`looseObject`), so a record written by a newer kimg survives an older one's edit.
 */
export const APP_KINDS = ['app', 'cni', 'csi'] as const;
export type AppKind = (typeof APP_KINDS)[number];

/** One app of `io.kimg.apps` (APP, CNI, CSI; APPCMDS and APPENV fill `cmds` and `env`). */
export interface AppRecord {
  name: string;
  kind: AppKind;
  sources: string[];
  cmds?: string[];
  env?: Record<string, string>;
  /** The remote sources (`https://`, `helm://`, `oci://`) as the build fetched them: sha256 of the bytes. */
  pins?: AppSourcePin[];
}

/** A remote app source pinned by the build that fetched it (src/build/app-sources). */
export interface AppSourcePin {
  /** As written in `sources`. */
  source: string;
  digest: string;
  /** A chart's version (helm://, oci://, a chart at an https URL). */
  version?: string;
}

/** `io.kimg.launch`: LAUNCH names apps, CMDS gives commands; one or the other. */
export type LaunchRecord = { apps: string[] } | { cmds: string[] };

/**
 * One image of `io.kimg.images`: what `kimg build` embedded in `registry/`. `platforms` are the platforms asked
 * (`os/arch[/variant]`), or `['all']` with `--all-platforms`; `sources` are `file:line` of every place that asked.
 */
export interface EmbeddedImageRecord {
  /** As the first source wrote it. */
  reference: string;
  /** Repository and tag (or digest) in `registry/`, without the source host: `library/nginx:latest`. */
  name: string;
  /** The digest `name` resolves to there (an index's own digest when a sparse index is kept). */
  digest: string;
  platforms: string[];
  sources: string[];
}

interface Schemas {
  appRecordSchema: z.ZodType<AppRecord>;
  appRecordsSchema: z.ZodType<AppRecord[]>;
  launchRecordSchema: z.ZodType<LaunchRecord>;
  embeddedImagesSchema: z.ZodType<EmbeddedImageRecord[]>;
}

export declare const appRecordSchema: Schemas['appRecordSchema'];
export declare const appRecordsSchema: Schemas['appRecordsSchema'];
export declare const launchRecordSchema: Schemas['launchRecordSchema'];
export declare const embeddedImagesSchema: Schemas['embeddedImagesSchema'];

const SCHEMA_NAMES: (keyof Schemas & string)[] = [
  'appRecordSchema',
  'appRecordsSchema',
  'launchRecordSchema',
  'embeddedImagesSchema',
];

defineLazyExports<Schemas>(exports, SCHEMA_NAMES, () => {
  const z = zod();
  const appRecordSchema = z.looseObject({
    name: z.string().min(1),
    kind: z.enum(APP_KINDS),
    sources: z.array(z.string()),
    cmds: z.array(z.string()).optional(),
    env: z.record(z.string(), z.string()).optional(),
    pins: z
      .array(z.looseObject({ source: z.string(), digest: z.string(), version: z.string().optional() }))
      .optional(),
  }) as unknown as z.ZodType<AppRecord>;
  return {
    appRecordSchema,
    appRecordsSchema: z.array(appRecordSchema),
    launchRecordSchema: z.union([
      z.looseObject({ apps: z.array(z.string()) }),
      z.looseObject({ cmds: z.array(z.string()) }),
    ]) as unknown as z.ZodType<LaunchRecord>,
    embeddedImagesSchema: z.array(
      z.looseObject({
        reference: z.string(),
        name: z.string().min(1),
        digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
        platforms: z.array(z.string()),
        sources: z.array(z.string()),
      }),
    ) as unknown as z.ZodType<EmbeddedImageRecord[]>,
  };
});

/** A record read from a label: the parsed value, or why it is not one (the caller decides whether that is fatal). */
export type RecordRead<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * Parses and validates a label's JSON; an absent label is `fallback`. The schema is asked for only when the label
 * is there: building one loads zod (~30 ms), which a build of an image without the label should not pay.
 */
export function readLabelRecord<T>(
  labels: Readonly<Record<string, string>> | undefined,
  key: string,
  schema: () => z.ZodType<T>,
  fallback: T,
): RecordRead<T> {
  const text = labels?.[key];
  if (text === undefined) return { ok: true, value: fallback };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `label ${key} is not JSON (${(err as Error).message})` };
  }
  const result = schema().safeParse(parsed);
  if (!result.success)
    return { ok: false, reason: `label ${key}: ${result.error.issues[0]?.message ?? 'invalid'}` };
  return { ok: true, value: result.data };
}
