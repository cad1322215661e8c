import { child, stringValue, type Position, type YamlNode } from './yaml-tree';

/** An image reference found in one Kubernetes object: the text, where it is, and the field that holds it. */
export interface FoundImage {
  written: string;
  pos: Position;
  /** `Deployment` (or `-` when the document has no kind). */
  kind: string;
  /** `spec.template.spec.containers[0].image`, from the document root. */
  field: string;
}

/**
 * Where each workload kind keeps its pod spec (the Kubernetes API reference: apps/v1, batch/v1, core/v1).
 * CronJob's pods are two templates down; PodTemplate has no spec above its template.
 */
const POD_SPEC_PATHS: Record<string, readonly string[]> = {
  Pod: ['spec'],
  PodTemplate: ['template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** Container lists of a PodSpec; ephemeral containers are added by `kubectl debug` but may be written too. */
const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'];

/**
 * The images one document asks for. Workload kinds: the containers of their pod spec and image volumes
 * (`volumes[].image.reference`, Kubernetes 1.31+). A `List` (`kubectl get -o yaml`): each item. Any other
 * kind (custom resources, operators' CRs): every `image` field holding a string, anywhere in the document.
 */
export function imagesInDocument(root: YamlNode, prefix = ''): FoundImage[] {
  const kind = stringValue(child(root, 'kind')) ?? '-';
  if (kind === 'List' || (kind.endsWith('List') && child(root, 'items')?.kind === 'seq')) {
    const items = child(root, 'items');
    if (items?.kind !== 'seq') return [];
    return items.items.flatMap((item, index) => imagesInDocument(item, `${prefix}items[${index}].`));
  }
  const specPath = POD_SPEC_PATHS[kind];
  if (specPath === undefined) return imageFields(root, kind, prefix.replace(/\.$/, ''));
  let spec: YamlNode | undefined = root;
  for (const key of specPath) spec = child(spec, key);
  if (spec === undefined) return [];
  return podSpecImages(spec, kind, `${prefix}${specPath.join('.')}`);
}

function podSpecImages(spec: YamlNode, kind: string, path: string): FoundImage[] {
  const found: FoundImage[] = [];
  const add = (node: YamlNode | undefined, field: string): void => {
    const written = stringValue(node);
    if (node !== undefined && written !== undefined && written !== '')
      found.push({ written, pos: node.pos, kind, field });
  };
  for (const list of CONTAINER_LISTS) {
    const containers = child(spec, list);
    if (containers?.kind !== 'seq') continue;
    containers.items.forEach((container, index) =>
      add(child(container, 'image'), `${path}.${list}[${index}].image`),
    );
  }
  const volumes = child(spec, 'volumes');
  if (volumes?.kind === 'seq') {
    volumes.items.forEach((volume, index) =>
      add(child(child(volume, 'image'), 'reference'), `${path}.volumes[${index}].image.reference`),
    );
  }
  return found;
}

/** Every `image: <string>` in a document, depth first in document order. */
function imageFields(node: YamlNode, kind: string, path: string): FoundImage[] {
  const found: FoundImage[] = [];
  const join = (key: string): string => (path === '' ? key : `${path}.${key}`);
  if (node.kind === 'map') {
    for (const [key, value] of node.entries) {
      const written = key === 'image' ? stringValue(value) : undefined;
      if (written !== undefined && written !== '')
        found.push({ written, pos: value.pos, kind, field: join(key) });
      else found.push(...imageFields(value, kind, join(key)));
    }
  } else if (node.kind === 'seq') {
    node.items.forEach((item, index) => found.push(...imageFields(item, kind, `${path}[${index}]`)));
  }
  return found;
}
