import { readFileSync } from "node:fs";

/**
 * The gateway's version from package.json, read once. Looked up by walking up from this file,
 * so it works from `src/` under tsx and from a compiled `dist/` alike.
 */
function readPackageVersion(): string {
  for (const relative of ["../../package.json", "../../../package.json"]) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(relative, import.meta.url), "utf8")) as { name?: unknown; version?: unknown };
      if (manifest.name === "idc-token-gateway" && typeof manifest.version === "string") return manifest.version;
    } catch {
      // Not at this level; try the next one up.
    }
  }
  return "unknown";
}

export const GATEWAY_VERSION: string = readPackageVersion();
