import { posix } from 'node:path';
import type { AppInstruction, CopyInstruction, Flag } from '../kubefile/ast';
import { isKimgError } from '../../errors';
import { parseRemoteSource } from '../app-sources/remote-source';
import { expand } from '../kubefile/substitution';
import type { PlanContext, StageState } from './plan-context';
import type { CopyOrigin, CopySpec, PlannedStep } from './types';

/** sealer's layout: an app's files live under `application/apps/<name>/` in the image. */
export const APPS_DIR = '/application/apps';

/** COPY / ADD: sources and dest expanded (`${ARCH}` too), dest made absolute against WORKDIR. */
export function planCopy(
  ctx: PlanContext,
  stage: StageState,
  node: CopyInstruction,
): PlannedStep | undefined {
  const vars = new Map([['ARCH', ctx.architecture], ...stage.scope.variables()]);
  const origin = copyOrigin(ctx, stage, ctx.flag(node.flags, 'from'), vars);
  if (!origin) return undefined;
  const sources: string[] = [];
  const urls: string[] = [];
  const inline: CopySpec['inline'] = [];
  for (const source of node.sources) {
    if (source.kind === 'heredoc') {
      const { heredoc } = source;
      const content = heredoc.quoted
        ? heredoc.content
        : expandBody(ctx, heredoc.content, vars, source.word.span);
      inline.push({ name: heredoc.name, content });
    } else {
      const path = ctx.expand(source.word, vars);
      // Reference "ADD": "ADD [--checksum=…] <src> … <dest>": a src that is a URL is downloaded (COPY: a path).
      if (node.kind === 'ADD' && /^https?:\/\//i.test(path)) urls.push(path);
      else sources.push(path);
    }
  }
  const spec: CopySpec = {
    add: node.kind === 'ADD',
    origin,
    sources,
    inline,
    dest: absoluteDest(stage.workdir, ctx.expand(node.dest, vars)),
  };
  if (urls.length > 0) spec.urls = urls;
  const checksum = parseChecksum(ctx, ctx.flag(node.flags, 'checksum'), vars, urls.length > 0);
  if (checksum) spec.checksum = checksum;
  const owner = parseOwner(ctx, ctx.flag(node.flags, 'chown'), vars);
  if (owner && 'uid' in owner) spec.owner = owner;
  else if (owner) spec.chownNames = owner;
  const chmod = parseChmod(ctx, ctx.flag(node.flags, 'chmod'), vars);
  if (chmod !== undefined) spec.chmod = chmod;
  return {
    at: ctx.position(node.keywordSpan),
    instruction: instructionText(node),
    action: { kind: 'copy', copy: spec },
  };
}

/**
 * APP / CNI / CSI: one COPY into the app's directory (sealer's layout) plus the app's label entry. `local://`
 * sources are read from the context; `https://`, `helm://` and `oci://` ones are checked here (pure) and fetched
 * by the executor (src/build/app-sources), which puts them into the same layer.
 */
export function planApp(ctx: PlanContext, stage: StageState, node: AppInstruction): PlannedStep | undefined {
  const vars = stage.scope.variables();
  const name = ctx.expand(node.name, vars);
  const sources: string[] = [];
  const remote: string[] = [];
  const written: string[] = [];
  let valid = true;
  for (const source of node.sources) {
    if (source.scheme === 'local') {
      const path = ctx.expand({ ...source.word, text: source.path }, vars);
      sources.push(path);
      written.push(`local://${path}`);
      continue;
    }
    const text = ctx.expand(source.word, vars);
    try {
      parseRemoteSource(text);
    } catch (err) {
      if (!isKimgError(err)) throw err;
      ctx.reporter.error(
        'INVALID_APP_SOURCE',
        source.word.span,
        `${node.kind} ${err.message}`,
        err.hint ?? '',
      );
      valid = false;
      continue;
    }
    remote.push(text);
    written.push(text);
  }
  if (!valid) return undefined;
  const kind = node.kind === 'APP' ? 'app' : node.kind === 'CNI' ? 'cni' : 'csi';
  const copy: CopySpec = {
    add: false,
    origin: { kind: 'context' },
    sources,
    inline: [],
    dest: `${APPS_DIR}/${name}/`,
  };
  if (remote.length > 0) copy.remote = { app: name, sources: remote };
  return {
    at: ctx.position(node.keywordSpan),
    instruction: instructionText(node),
    action: { kind: 'copy', copy, then: { op: 'app', app: { name, kind, sources: written } } },
  };
}

export function instructionText(node: { keyword: string; original: string }): string {
  return `${node.keyword.toUpperCase()}${node.original.slice(node.keyword.length)}`;
}

function copyOrigin(
  ctx: PlanContext,
  stage: StageState,
  from: Flag | undefined,
  vars: ReadonlyMap<string, string>,
): CopyOrigin | undefined {
  if (!from) return { kind: 'context' };
  const value = ctx.expand({ text: from.value ?? '', span: from.span }, vars);
  const named = ctx.stageNames.get(value.toLowerCase());
  const index = named ?? (/^\d+$/.test(value) ? Number(value) : undefined);
  if (index !== undefined && index < stage.index) {
    stage.deps.add(index);
    return { kind: 'stage', index };
  }
  // docker would pull a bare word as an image; a typo of a stage name is far more likely, so kimg asks for a tag.
  if (index !== undefined || /^[a-z0-9][a-z0-9_.-]*$/i.test(value)) {
    const known = [...ctx.stageNames].filter(([, i]) => i < stage.index).map(([n]) => n);
    ctx.reporter.error(
      'UNKNOWN_STAGE',
      from.span,
      `COPY --from=${value}: no stage "${value}" before this instruction`,
      known.length > 0
        ? `stages defined so far: ${known.join(', ')}; to copy from an image name it with its tag (--from=${value}:latest)`
        : `name an earlier stage (FROM … AS ${value}), or an image with its tag (--from=${value}:latest)`,
    );
    return undefined;
  }
  return { kind: 'image', ref: value };
}

/** Dockerfile reference: a relative dest is relative to WORKDIR; `.` and a trailing `/` mean a directory. */
function absoluteDest(workdir: string, dest: string): string {
  const dir = dest.endsWith('/') || dest === '.' || dest.endsWith('/.');
  const path = posix.resolve(workdir, dest);
  return dir && path !== '/' ? `${path}/` : path;
}

/** Heredoc bodies keep their quotes: only variables are expanded (docs/kubefile.md). */
function expandBody(
  ctx: PlanContext,
  body: string,
  vars: ReadonlyMap<string, string>,
  span: CopyInstruction['span'],
): string {
  const result = expand(body, vars, { escape: ctx.escape, keepQuotes: true });
  if (result.error) {
    ctx.reporter.error(
      'INVALID_SUBSTITUTION',
      span,
      `cannot expand the here-document: ${result.error.message}`,
      'quote the delimiter (<<"EOF") to keep the body verbatim',
    );
  }
  return result.value;
}

const ROOT_NAMES = new Set(['root', '0']);
/** Portable user/group names (POSIX 3.437, plus what useradd allows: `.`, `-`, a trailing `$`) or numbers. */
const OWNER_PART = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?$/;

/**
 * `--chown=USER[:GROUP]` (reference: "COPY --chown"). Numbers and `root` are final here; names are resolved by
 * the executor in the stage's /etc/passwd and /etc/group, as BuildKit and buildah do. A number without a group
 * is also the gid.
 */
function parseOwner(
  ctx: PlanContext,
  flag: Flag | undefined,
  vars: ReadonlyMap<string, string>,
): { uid: number; gid: number } | { user: string; group?: string } | undefined {
  if (!flag) return undefined;
  const value = ctx.expand({ text: flag.value ?? '', span: flag.span }, vars);
  const [user = '', group, ...rest] = value.split(':');
  if (rest.length > 0 || !OWNER_PART.test(user) || (group !== undefined && !OWNER_PART.test(group))) {
    ctx.reporter.error(
      'INVALID_FLAG',
      flag.span,
      `--chown=${value} is not USER[:GROUP]`,
      'write a name or number for each, e.g. --chown=1000:1000 or --chown=app:app',
    );
    return undefined;
  }
  const id = (name: string) => (ROOT_NAMES.has(name) ? 0 : /^\d+$/.test(name) ? Number(name) : undefined);
  const uid = id(user);
  const gid = id(group ?? user);
  if (uid !== undefined && gid !== undefined) return { uid, gid };
  return { user, ...(group !== undefined && { group }) };
}

/** `--checksum=sha256:HEX` (reference: "ADD --checksum"): only for URL sources, as BuildKit requires. */
function parseChecksum(
  ctx: PlanContext,
  flag: Flag | undefined,
  vars: ReadonlyMap<string, string>,
  hasUrls: boolean,
): string | undefined {
  if (!flag) return undefined;
  const value = ctx.expand({ text: flag.value ?? '', span: flag.span }, vars);
  if (!/^sha256:[0-9a-f]{64}$/.test(value)) {
    ctx.reporter.error(
      'INVALID_FLAG',
      flag.span,
      `--checksum=${value} is not a sha256 digest`,
      'write --checksum=sha256:<64 lower-case hex digits>',
    );
    return undefined;
  }
  if (!hasUrls) {
    ctx.reporter.error(
      'INVALID_FLAG',
      flag.span,
      '--checksum is only supported for http(s) sources',
      'remove the flag, or ADD the file from its URL',
    );
    return undefined;
  }
  return value;
}

function parseChmod(
  ctx: PlanContext,
  flag: Flag | undefined,
  vars: ReadonlyMap<string, string>,
): number | undefined {
  if (!flag) return undefined;
  const value = ctx.expand({ text: flag.value ?? '', span: flag.span }, vars);
  if (!/^[0-7]{3,4}$/.test(value)) {
    ctx.reporter.error(
      'INVALID_FLAG',
      flag.span,
      `--chmod=${value} is not an octal mode`,
      'write e.g. --chmod=0644',
    );
    return undefined;
  }
  return parseInt(value, 8);
}
