import { isKimgError, KimgError } from '../../errors';
import type Docker from 'dockerode';
import {
  connectDaemon,
  daemonError,
  START_DAEMON_HINT,
  type DaemonConnection,
  type DaemonOptions,
} from '../../transport/docker-daemon';
import type { ReadOnlyTarget } from '../../transport/types';
import type { HistoryEntry, StageImage } from '../image/stage-image';
import { exportDiff } from './export-diff';
import type { LayerSink } from './layer-sink';
import { Leftovers } from './leftovers';
import { loadStage, temporaryTag } from './load-stage';
import {
  commandArgv,
  formatPosition,
  runCreatedBy,
  runEnv,
  type RunCommand,
  type SourcePosition,
} from './run-command';
import { createRunContainer, runToExit, type RunNetwork } from './run-container';

export interface RunOptions {
  /** The Kubefile position of the RUN, named by every error. */
  at: SourcePosition;
  /** The store holding the stage's blobs (read only: the stage's config and manifest are never written to it). */
  store: ReadOnlyTarget;
  /** Stores the layer the RUN made (see layer-sink.ts). */
  sink: LayerSink;
  /** mtime of every entry of the new layer and `created` of its history entry (the build's timestamp rule). */
  timestamp: Date;
  /** Default 'none': a RUN sees no network unless the build asks (`--network`). */
  network?: RunNetwork;
  /** Build args, in the command's environment but not in the image. */
  env?: Record<string, string>;
  /** How to reach the daemon: DOCKER_HOST etc. from `daemon.env` (default process.env), temp files in tmpDir. */
  daemon?: DaemonOptions;
  /** The command's stdout and stderr as they arrive (progress). */
  onOutput?: (chunk: Buffer) => void;
  signal?: AbortSignal;
}

export const DEFAULT_RUN_NETWORK: RunNetwork = 'none';

/**
 * RUN (issue 5, item 8): runs `command` in a container of the stage through the Docker Engine API and returns
 * the stage with the filesystem change as a new normalized layer and a `RUN …` history entry. The daemon is
 * left as it was, on success and on failure; the store is not written (only `sink` stores the new layer).
 */
export async function runInstruction(
  stage: StageImage,
  command: RunCommand,
  options: RunOptions,
): Promise<{ stage: StageImage }> {
  const where = formatPosition(options.at);
  const argv = commandArgv(stage, command, options.at);
  if (stage.layers.length === 0) {
    throw new KimgError(
      'UNSUPPORTED',
      `${where}: RUN needs a base image with a shell, but this stage starts FROM scratch and has no files yet`,
      'start the stage FROM an image that has the programs the command uses (e.g. busybox, debian), or produce the files with COPY',
    );
  }
  const daemon = options.daemon ?? {};
  const connection = await connectDaemon(daemon).catch((err: unknown) => {
    throw atLine(err, where);
  });
  const created = options.timestamp.toISOString();
  const io = options.signal ? { signal: options.signal } : {};
  const leftovers = new Leftovers(connection);
  let stageAfter: StageImage;
  try {
    const tag = temporaryTag();
    leftovers.image(tag); // registered first: a load that fails half-way may still have tagged
    await loadStage(stage, options.store, tag, created, daemon, io);
    const container = await createRunContainer(
      connection,
      stage,
      { image: tag, argv, env: runEnv(stage, options.env), network: options.network ?? DEFAULT_RUN_NETWORK },
      options.signal,
    );
    leftovers.container(container.id);
    const { exitCode, tail } = await runToExit(connection, container, options.onOutput, options.signal);
    if (exitCode !== 0) throw new RunFailedError(where, argv, exitCode, tail);
    const committed = await commit(connection, container);
    leftovers.image(committed);
    const layer = await exportDiff(
      committed,
      stage.layers.length,
      options.timestamp,
      options.sink,
      daemon,
      options.signal,
    );
    const entry: HistoryEntry = { created, created_by: runCreatedBy(argv, command) };
    stageAfter = {
      ...stage,
      layers: [...stage.layers, layer.descriptor],
      diffIds: [...stage.diffIds, layer.diffId],
      history: [...stage.history, entry],
    };
  } catch (err) {
    // The RUN's own failure is the news; whatever removal fails after it is not reported over it.
    await leftovers.remove();
    throw atLine(err, where);
  }
  const failed = await leftovers.remove();
  if (failed.length > 0) {
    throw new KimgError(
      'DAEMON_ERROR',
      `${where}: RUN succeeded but kimg could not remove from the Docker daemon at ${connection.endpoint.display}: ${failed.join('; ')}`,
      'remove them with `docker rm -f` / `docker rmi`',
    );
  }
  return { stage: stageAfter };
}

/** `POST /commit?container=…`: the container's filesystem change becomes one new layer of an untagged image. */
async function commit(connection: DaemonConnection, container: Docker.Container): Promise<string> {
  try {
    return ((await container.commit()) as { Id: string }).Id;
  } catch (err) {
    throw daemonError(err, connection.endpoint.display, `commit container ${container.id.slice(0, 12)}`);
  }
}

/**
 * A RUN whose command exited non-zero: the line, the command, the status and what it printed last, as docker
 * build reports it. INVALID_ARGUMENT: the Kubefile asked for a command that fails (`exitCode` for callers).
 */
export class RunFailedError extends KimgError {
  constructor(
    where: string,
    readonly argv: string[],
    readonly exitCode: number,
    readonly output: string,
  ) {
    const said = output === '' ? ' and printed nothing' : `; its last output:\n${output}`;
    super(
      'INVALID_ARGUMENT',
      `${where}: RUN ${JSON.stringify(argv)} exited with code ${exitCode}${said}`,
      'fix the command: it ran in a container of the stage as built so far, with no network unless --network says otherwise',
    );
  }
}

/** Errors from the daemon name the Kubefile line they happened at; an unreachable daemon says how to point kimg at one. */
function atLine(err: unknown, where: string): unknown {
  if (!isKimgError(err) || err.message.startsWith(`${where}:`)) return err;
  const hint =
    err.code === 'DAEMON_ERROR' && err.message.startsWith('cannot reach')
      ? `RUN executes in a container of a Docker daemon: ${err.hint ?? START_DAEMON_HINT}`
      : err.hint;
  return new KimgError(err.code, `${where}: RUN: ${err.message}`, hint, { cause: err });
}
