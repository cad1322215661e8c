import { spawn } from 'node:child_process';
import { KimgError } from '../../errors';
import { describeBytes, DiscoveryEnv } from './discovery-limits';

export interface HelmTemplateRequest {
  helm: string;
  /** Context-relative, for messages. */
  chart: string;
  /** Absolute path of the chart folder or archive. */
  chartPath: string;
  release: string;
  /** Values files, later ones win (Helm's `-f` order). */
  valuesFiles: readonly string[];
  kubeVersion?: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  maxOutputBytes: number;
  signal?: AbortSignal;
}

/** Lines of Helm's stderr quoted in an error: its message is on the first ones, the rest is usage noise. */
const STDERR_LINES = 5;
const STDERR_MAX_BYTES = 64 * 1024;

/**
 * `helm template RELEASE CHART --skip-tests -f …`: what Helm would install, client side, no cluster. Hooks stay
 * in (a pre-install Job pulls its image like any pod; `--no-hooks` is not given), test pods are left out
 * (`--skip-tests`, Helm v3 and v4), subcharts and their conditions are Helm's to decide. Helm is killed
 * (SIGKILL) when it runs past the timeout, writes more than the output cap, or the caller aborts.
 */
export function helmTemplate(request: HelmTemplateRequest): Promise<string> {
  const args = ['template', request.release, request.chartPath, '--skip-tests'];
  for (const file of request.valuesFiles) args.push('--values', file);
  if (request.kubeVersion !== undefined) args.push('--kube-version', request.kubeVersion);
  return new Promise((resolve, reject) => {
    const child = spawn(request.helm, args, { env: request.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let failure: KimgError | undefined;
    const stop = (error: KimgError): void => {
      failure ??= error;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(
      () =>
        stop(
          new KimgError(
            'HELM_FAILED',
            `helm template of chart ${request.chart} did not finish within ${request.timeoutMs / 1000} s`,
            `raise the limit with ${DiscoveryEnv.helmTimeout}=<seconds>, or look for a template that loops`,
          ),
        ),
      request.timeoutMs,
    );
    const onAbort = (): void =>
      stop(new KimgError('ABORTED', `helm template of chart ${request.chart} was cancelled`));
    if (request.signal?.aborted) onAbort();
    request.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > request.maxOutputBytes) {
        stop(
          new KimgError(
            'SIZE_LIMIT',
            `helm template of chart ${request.chart} wrote more than ${describeBytes(request.maxOutputBytes)}`,
            `raise the limit with ${DiscoveryEnv.maxHelmOutputBytes}=<bytes|NMiB>`,
          ),
        );
      } else stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < STDERR_MAX_BYTES) stderr += chunk.toString('utf8');
    });
    const finish = (): void => {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (err) => {
      const error = new KimgError(
        'HELM_FAILED',
        `cannot run ${request.helm} for chart ${request.chart}: ${err.message}`,
        undefined,
        {
          cause: err,
        },
      );
      // A program that never started emits no 'close'.
      if (child.pid === undefined) {
        finish();
        reject(error);
      } else stop(error);
    });
    child.on('close', (code) => {
      finish();
      if (failure) return reject(failure);
      if (code !== 0) {
        const said = stderr.trim().split('\n').slice(0, STDERR_LINES).join(' | ');
        return reject(
          new KimgError(
            'HELM_FAILED',
            `chart ${request.chart} does not render: helm template exited ${code ?? 'on a signal'}: ${said || '(no message)'}`,
            `fix the chart (try: helm template ${request.release} ${request.chart}), or remove it from the context`,
          ),
        );
      }
      resolve(Buffer.concat(stdout).toString('utf8'));
    });
  });
}
