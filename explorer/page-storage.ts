/**
 * Where GraphiQL keeps its tabs, editors and history: page memory, never localStorage. GraphiQL's
 * default writes every tab's variables (and each run's, in the history) to localStorage, and here
 * the variables are the secrets: JWT assertions, authorization codes with their PKCE verifiers,
 * refresh tokens and access tokens. localStorage keeps them after the tab closes, for any page
 * later served from this origin (`http://localhost:4000` is every local app's address at some
 * point) and for any script injected into it; an attacker review found them all there. A reload
 * starts from the example tabs again.
 */
import type { GraphiQLProps } from "graphiql";

/** GraphiQL's storage interface (localStorage's shape), as its `storage` prop takes it. */
type GraphiQLStorage = NonNullable<GraphiQLProps["storage"]>;

/** GraphiQL's prefix for everything it stores ("graphiql:tabState", "graphiql:queries", …). */
const GRAPHIQL_PREFIX = "graphiql:";

export function createPageMemoryStorage(): GraphiQLStorage {
  const items = new Map<string, string>();
  return {
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, String(value)),
    removeItem: (key) => void items.delete(key),
    clear: () => items.clear(),
    get length() {
      return items.size;
    },
  };
}

/** Removes what earlier versions of the explorer (GraphiQL's default storage) left in localStorage on this origin. */
export function forgetPersistedExplorerState(): void {
  try {
    // Reading the property throws where the browser blocks storage (a third-party frame, a setting).
    const storage = globalThis.localStorage;
    const keys: string[] = [];
    for (let index = 0; index < storage.length; index++) {
      const key = storage.key(index);
      if (key?.startsWith(GRAPHIQL_PREFIX)) keys.push(key);
    }
    for (const key of keys) storage.removeItem(key);
  } catch {
    // Storage blocked (a browser setting): there is nothing of ours in it then.
  }
}
