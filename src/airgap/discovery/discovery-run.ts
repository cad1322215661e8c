import type { ContextRoot } from './context-file';
import type { DiscoveryLimits } from './discovery-limits';
import type { Findings } from './findings';

/** What every discovery step of one run shares. */
export interface DiscoveryRun {
  root: ContextRoot;
  limits: DiscoveryLimits;
  findings: Findings;
  /** The Helm binary, or undefined for the values best effort. */
  helm: string | undefined;
  env: NodeJS.ProcessEnv;
  kubeVersion?: string;
  signal?: AbortSignal;
  /** Manifest files and charts already read (an APP source may name what `manifests/` or `charts/` holds). */
  seen: Set<string>;
}
