import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseImageLocation } from '../../src/reference';
import { connectDaemon, DockerDaemonSource, parseDockerHost } from '../../src/transport/docker-daemon';
import { openDestination, openSource } from '../../src/transport/open';
import { freePort } from '../harness/free-port';
import { makeTempDir, removeTempDirs } from '../harness/temp';

afterAll(removeTempDirs);

describe('DOCKER_HOST', () => {
  it('defaults to /var/run/docker.sock and takes unix:// and tcp:// as the docker CLI does', () => {
    expect(parseDockerHost({})).toEqual({
      options: { socketPath: '/var/run/docker.sock' },
      display: 'unix:///var/run/docker.sock',
    });
    expect(parseDockerHost({ DOCKER_HOST: 'unix:///run/user/0/docker.sock' }).options).toEqual({
      socketPath: '/run/user/0/docker.sock',
    });
    expect(parseDockerHost({ DOCKER_HOST: 'tcp://10.0.0.2:2380' })).toEqual({
      options: { host: '10.0.0.2', port: 2380, protocol: 'http' },
      display: 'tcp://10.0.0.2:2380',
    });
    expect(parseDockerHost({ DOCKER_HOST: 'tcp://docker.example' }).options.port).toBe(2375);
    expect(parseDockerHost({ DOCKER_HOST: 'tcp://[::1]:2375' }).options.host).toBe('::1');
    expect(
      parseDockerHost({
        DOCKER_HOST: 'tcp://docker.example',
        DOCKER_TLS_VERIFY: '1',
        DOCKER_CERT_PATH: '/c',
      }),
    ).toEqual({
      options: { host: 'docker.example', port: 2376, protocol: 'https' },
      display: 'tcp://docker.example:2376',
      tlsDir: '/c',
    });
  });

  it.each(['ssh://me@host', 'npipe:////./pipe/docker_engine', 'unix://relative.sock', 'tcp://', 'host:2375'])(
    'refuses %s, saying what it accepts',
    (host) => {
      expect(() => parseDockerHost({ DOCKER_HOST: host })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', hint: expect.stringContaining('unix://') }),
      );
    },
  );

  it('reads the TLS client files from DOCKER_CERT_PATH, and names the directory when they are missing', async () => {
    const dir = await makeTempDir();
    await expect(
      connectDaemon({
        env: { DOCKER_HOST: 'tcp://127.0.0.1:1', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir },
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(dir) });
  });
});

describe('an unreachable daemon', () => {
  it('names the socket and says to start dockerd or set DOCKER_HOST', async () => {
    const socket = join(await makeTempDir(), 'nothing-here', 'docker.sock');
    const error = await DockerDaemonSource.open({ env: { DOCKER_HOST: `unix://${socket}` } }).catch(
      (err: unknown) => err,
    );
    expect(error).toMatchObject({
      code: 'DAEMON_ERROR',
      message: expect.stringContaining(socket),
      hint: expect.stringMatching(/dockerd.*DOCKER_HOST/),
    });
  });

  it('is reported by openSource and openDestination from DOCKER_HOST (tcp, nothing listening)', async () => {
    const port = await freePort();
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `tcp://127.0.0.1:${port}`;
    try {
      const location = parseImageLocation('docker-daemon:nginx:1');
      const expected = { code: 'DAEMON_ERROR', message: expect.stringContaining(`tcp://127.0.0.1:${port}`) };
      await expect(openSource(location, {})).rejects.toMatchObject(expected);
      await expect(openDestination(location, {})).rejects.toMatchObject(expected);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });

  it('a socket path that is not a socket is reported the same way', async () => {
    const dir = await makeTempDir();
    await mkdir(join(dir, 'd'));
    await writeFile(join(dir, 'd', 'docker.sock'), 'not a socket');
    const socket = join(dir, 'd', 'docker.sock');
    await expect(DockerDaemonSource.open({ env: { DOCKER_HOST: `unix://${socket}` } })).rejects.toMatchObject(
      {
        code: 'DAEMON_ERROR',
        message: expect.stringContaining(socket),
      },
    );
  });

  it('an image ID is not a destination', async () => {
    const location = parseImageLocation(`docker-daemon:sha256:${'a'.repeat(64)}`);
    await expect(openDestination(location, {})).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
