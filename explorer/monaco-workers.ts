/**
 * Monaco runs its language services in web workers. GraphiQL's own setup files load them from a
 * CDN (esm.sh) or through a bundler's worker syntax; ours are bundled beside the page and served
 * by the gateway, so the explorer works offline. Imported first, before anything creates an editor.
 */
import { readExplorerConfig } from "./explorer-config.js";

const WORKER_FILES: Record<string, string> = {
  json: "json.worker.js",
  graphql: "graphql.worker.js",
};

const { assetsPath } = readExplorerConfig();

(globalThis as unknown as { MonacoEnvironment: unknown }).MonacoEnvironment = {
  getWorker(_workerId: string, label: string): Worker {
    return new Worker(`${assetsPath}/${WORKER_FILES[label] ?? "editor.worker.js"}`);
  },
};
