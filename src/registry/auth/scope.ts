/**
 * Token scopes (distribution docs/spec/auth/scope.md): `resourcetype:resourcename:action[,action]`, e.g.
 * `repository:library/nginx:pull`, `repository:team/app:pull,push`, `registry:catalog:*`.
 * The resource name may itself hold `:` (some registries put a port in it), so type is before the first `:`
 * and actions after the last.
 */
export interface Scope {
  type: string;
  name: string;
  actions: string[];
}

export function parseScope(text: string): Scope | undefined {
  const first = text.indexOf(':');
  const last = text.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  const actions = text
    .slice(last + 1)
    .split(',')
    .filter((a) => a !== '');
  return { type: text.slice(0, first), name: text.slice(first + 1, last), actions };
}

export function repositoryScope(path: string, actions: readonly string[]): string {
  return `repository:${path}:${[...actions].sort().join(',')}`;
}

export const CATALOG_SCOPE = 'registry:catalog:*';

/**
 * A set of scopes merged per resource: `repository:a:pull` + `repository:a:push` is `repository:a:pull,push`.
 * Canonical order, so equal sets give equal cache keys and one token serves every request it covers.
 */
export class ScopeSet {
  private readonly resources = new Map<string, Set<string>>();

  constructor(scopes: Iterable<string> = []) {
    for (const scope of scopes) this.add(scope);
  }

  add(text: string): this {
    const scope = parseScope(text);
    if (!scope) return this;
    const key = `${scope.type}:${scope.name}`;
    let actions = this.resources.get(key);
    if (!actions) {
      actions = new Set();
      this.resources.set(key, actions);
    }
    for (const action of scope.actions) actions.add(action);
    return this;
  }

  addAll(scopes: Iterable<string>): this {
    for (const scope of scopes) this.add(scope);
    return this;
  }

  /** True when every action of every scope in `other` is granted here (`*` grants all). */
  covers(other: Iterable<string>): boolean {
    for (const text of other) {
      const scope = parseScope(text);
      if (!scope) continue;
      const actions = this.resources.get(`${scope.type}:${scope.name}`);
      if (!actions) return false;
      if (actions.has('*')) continue;
      if (!scope.actions.every((a) => actions.has(a))) return false;
    }
    return true;
  }

  /** Actions already wanted for `resource` (`type:name`), for accumulating scopes across requests. */
  actionsOf(resource: string): string[] {
    return [...(this.resources.get(resource) ?? [])];
  }

  toArray(): string[] {
    return [...this.resources.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([resource, actions]) => `${resource}:${[...actions].sort().join(',')}`);
  }

  get size(): number {
    return this.resources.size;
  }
}
