import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { DaemonConnection } from '../../transport/docker-daemon';
import { daemonError } from '../../transport/docker-daemon';
import type { StageImage } from '../image/stage-image';
import { OutputTail } from './output-tail';

/** RUN's network: none (the default, reproducible), the host's, or the daemon's default (its bridge). */
export type RunNetwork = 'none' | 'host' | 'default';

export interface ContainerSpec {
  image: string;
  argv: string[];
  env: string[];
  network: RunNetwork;
}

/**
 * `POST /containers/create` for one RUN. Entrypoint `[]` keeps the image's ENTRYPOINT out (moby's config merge
 * takes the image's only when the request's is null), as docker build runs RUN without it; a HEALTHCHECK of
 * the stage is disabled (`NONE`) so it does not run inside the build. AutoRemove stays off: the container is
 * committed after it exits, and removed by us (with its anonymous volumes) afterwards.
 */
export async function createRunContainer(
  connection: DaemonConnection,
  stage: StageImage,
  spec: ContainerSpec,
  signal?: AbortSignal,
): Promise<Docker.Container> {
  const { WorkingDir, User } = stage.runConfig;
  try {
    return await connection.docker.createContainer({
      Image: spec.image,
      Cmd: spec.argv,
      Entrypoint: [],
      Env: spec.env,
      ...(typeof WorkingDir === 'string' && WorkingDir !== '' && { WorkingDir }),
      ...(typeof User === 'string' && User !== '' && { User }),
      Healthcheck: { Test: ['NONE'] },
      AttachStdout: true,
      AttachStderr: true,
      HostConfig: {
        AutoRemove: false,
        ...(spec.network !== 'default' && { NetworkMode: spec.network }),
      },
      ...(signal && { abortSignal: signal }),
    });
  } catch (err) {
    throw daemonError(err, connection.endpoint.display, `create a container from ${spec.image}`);
  }
}

export interface RunOutcome {
  exitCode: number;
  /** The last lines of stdout and stderr. */
  tail: string;
}

/**
 * Attaches, starts and waits, the way `docker run` does: attach first (`POST /containers/{id}/attach?stream=1`)
 * so no output is missed, then start, then `POST /containers/{id}/wait`. Without a TTY the attach stream is
 * multiplexed (8-byte frame headers per stdout/stderr chunk), hence demuxStream. Abort kills the container,
 * which ends the wait.
 */
export async function runToExit(
  connection: DaemonConnection,
  container: Docker.Container,
  onOutput?: (chunk: Buffer) => void,
  signal?: AbortSignal,
): Promise<RunOutcome> {
  const tail = new OutputTail();
  const where = connection.endpoint.display;
  const kill = () => void container.kill().catch(() => undefined);
  signal?.addEventListener('abort', kill, { once: true });
  try {
    const attached = await container.attach({ stream: true, stdout: true, stderr: true });
    const output = new PassThrough();
    output.on('data', (chunk: Buffer) => {
      tail.push(chunk);
      onOutput?.(chunk);
    });
    connection.docker.modem.demuxStream(attached, output, output);
    const ended = new Promise<void>((resolve) => {
      attached.on('end', resolve);
      attached.on('close', resolve);
      attached.on('error', () => resolve());
    });
    await container.start();
    const result = (await container.wait()) as { StatusCode?: number };
    // The attach stream ends when the container's output is closed; wait for it so the tail is complete.
    await ended;
    signal?.throwIfAborted();
    return { exitCode: result.StatusCode ?? -1, tail: tail.text() };
  } catch (err) {
    throw daemonError(err, where, `run container ${container.id.slice(0, 12)}`);
  } finally {
    signal?.removeEventListener('abort', kill);
  }
}
