import { describe, expect, it } from '@jest/globals';
import { storedName } from '../../../src/airgap/embed';

// The names images get in registry/ (docs/airgap.md "Embedding"): sealos' mapping, the host dropped.
describe('storedName', () => {
  it.each([
    ['quay.io/a/b:1', 'a/b:1'],
    ['nginx', 'library/nginx:latest'],
    ['docker.io/library/nginx:1.27', 'library/nginx:1.27'],
    ['127.0.0.1:5000/team/tool', 'team/tool:latest'],
    [`ghcr.io/x/y@sha256:${'a'.repeat(64)}`, `x/y@sha256:${'a'.repeat(64)}`],
    [`ghcr.io/x/y:2@sha256:${'b'.repeat(64)}`, `x/y:2@sha256:${'b'.repeat(64)}`],
  ])('%s → %s', (reference, name) => {
    expect(storedName(reference)).toBe(name);
  });
});
