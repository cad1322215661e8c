import { createReadStream } from 'node:fs';
import { KimgError } from '../../errors';
import type { DaemonConnection } from './connection';
import { capMessage, daemonError } from './daemon-error';

/** `docker load -q` answers a few lines per image; more than this is not a load response. */
export const MAX_LOAD_RESPONSE_BYTES = 1024 * 1024;

/** One line of the JSON message stream (moby pkg/jsonmessage.JSONMessage), the fields load uses. */
interface LoadMessage {
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * `POST /images/load?quiet=1` with the docker-archive as the body. The daemon answers 200 as soon as it starts
 * reading and reports the outcome in the body as JSON lines: `{"stream":"Loaded image: app:1\n"}` per image on
 * success, `{"errorDetail":{"message":…},"error":…}` on failure (moby api/server/router/image postImagesLoad
 * writes streamformatter.FormatError after the 200 header). Both are read here; the messages are returned
 * (`Loaded image: …`, `Loaded image ID: sha256:…`).
 */
export async function loadArchive(
  connection: DaemonConnection,
  file: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const where = connection.endpoint.display;
  let body = '';
  try {
    const response = await connection.docker.loadImage(createReadStream(file), {
      quiet: true,
      ...(signal ? { abortSignal: signal } : {}),
    });
    for await (const chunk of response) {
      body += chunk.toString();
      if (body.length > MAX_LOAD_RESPONSE_BYTES) {
        throw new KimgError(
          'DAEMON_ERROR',
          `the Docker daemon at ${where} answered the image load with more than ${MAX_LOAD_RESPONSE_BYTES} bytes`,
          'check that DOCKER_HOST names a Docker Engine',
        );
      }
    }
  } catch (err) {
    throw daemonError(err, where, 'load the image');
  }
  const loaded: string[] = [];
  for (const line of body.split('\n')) {
    if (line.trim() === '') continue;
    let message: LoadMessage;
    try {
      message = JSON.parse(line) as LoadMessage;
    } catch {
      throw new KimgError(
        'DAEMON_ERROR',
        `the Docker daemon at ${where} answered the image load with something other than JSON: ${capMessage(line)}`,
      );
    }
    const error = message.errorDetail?.message ?? message.error;
    if (error !== undefined) {
      throw new KimgError(
        'DAEMON_ERROR',
        `the Docker daemon at ${where} rejected the image: ${capMessage(error)}`,
        "the message is the daemon's own (it checks every layer against the config's rootfs.diff_ids); images loaded before the failing one in the same request stay loaded",
      );
    }
    if (message.stream !== undefined && message.stream.trim() !== '') loaded.push(message.stream.trim());
  }
  return loaded;
}
