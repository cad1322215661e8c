import { OciLayout, verbatimPolicy, type OciLayoutOptions } from '../../store';
import { LayoutTarget } from './layout-target';
import type { Target } from '../types';

/**
 * `oci:DIR[:REF]` (containers/image oci/layout): any OCI image layout directory. REF is kept verbatim as
 * org.opencontainers.image.ref.name, exactly as skopeo writes it (`oci:dir:latest` → "latest"), and must follow
 * the annotation's grammar; with REF omitted, a layout holding exactly one image resolves to it.
 * Same write discipline as the store (transactions, lock in DIR/.kimg/, atomic index.json).
 */
export function openOciLayout(dir: string, options?: OciLayoutOptions): Target {
  const description = `oci:${dir}`;
  return new LayoutTarget(new OciLayout(dir, verbatimPolicy(description), description, options));
}
