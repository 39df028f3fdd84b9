import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, extname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The explorer's browser assets (GraphiQL + React + Monaco and its workers), bundled with esbuild
 * from `explorer/`. `npm run build:explorer` writes them to dist/explorer; without that build the
 * gateway bundles them in memory on the first page view, so `npm ci && npm start` needs no step.
 */

export interface ExplorerAsset {
  contentType: string;
  body: Buffer;
}

/** File name (no folders) → asset. */
export type ExplorerAssets = ReadonlyMap<string, ExplorerAsset>;

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const EXPLORER_SOURCE_DIR = join(REPO_ROOT, "explorer");
export const EXPLORER_DIST_DIR = join(REPO_ROOT, "dist", "explorer");

/** The page's entry and the three Monaco workers GraphiQL 5 asks for (see explorer/monaco-workers.ts). */
const WORKER_ENTRIES: Record<string, string> = {
  "editor.worker": "monaco-editor/esm/vs/editor/editor.worker.js",
  "json.worker": "monaco-editor/esm/vs/language/json/json.worker.js",
  "graphql.worker": "monaco-graphql/esm/graphql.worker.js",
};

const CONTENT_TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".ttf": "font/ttf",
  ".woff2": "font/woff2",
};

/** Bundles explorer/ with esbuild (imported lazily: only explorer users pay for it). */
export async function bundleExplorer(): Promise<ExplorerAssets> {
  const { build } = await import("esbuild");
  const require = createRequire(join(EXPLORER_SOURCE_DIR, "main.tsx"));
  const result = await build({
    entryPoints: {
      explorer: join(EXPLORER_SOURCE_DIR, "main.tsx"),
      ...Object.fromEntries(Object.entries(WORKER_ENTRIES).map(([name, specifier]) => [name, require.resolve(specifier)])),
    },
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2022",
    minify: true,
    jsx: "automatic",
    outdir: "/explorer",
    write: false,
    // Fonts (Monaco's codicons) are inlined: the page must load nothing the gateway does not serve.
    loader: { ".ttf": "dataurl", ".woff": "dataurl", ".woff2": "dataurl" },
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "silent",
    tsconfig: join(EXPLORER_SOURCE_DIR, "tsconfig.json"),
  });
  const assets = new Map<string, ExplorerAsset>();
  for (const file of result.outputFiles) {
    assets.set(basename(file.path), { contentType: contentTypeOf(file.path), body: Buffer.from(file.contents) });
  }
  return assets;
}

/** Writes a bundle to `dir` (the build script's job). */
export async function writeExplorerAssets(assets: ExplorerAssets, dir = EXPLORER_DIST_DIR): Promise<void> {
  await mkdir(dir, { recursive: true });
  await Promise.all([...assets].map(([name, asset]) => writeFile(join(dir, name), asset.body)));
}

/** The prebuilt bundle from dist/explorer, or undefined when it was not built. */
export async function readPrebuiltExplorer(dir = EXPLORER_DIST_DIR): Promise<ExplorerAssets | undefined> {
  if (!existsSync(join(dir, "explorer.js"))) return undefined;
  const assets = new Map<string, ExplorerAsset>();
  for (const name of await readdir(dir)) {
    assets.set(name, { contentType: contentTypeOf(name), body: await readFile(join(dir, name)) });
  }
  return assets;
}

/** Prebuilt when present, else bundled now. */
export async function loadExplorerAssets(): Promise<{ assets: ExplorerAssets; source: "prebuilt" | "bundled" }> {
  const prebuilt = await readPrebuiltExplorer();
  if (prebuilt) return { assets: prebuilt, source: "prebuilt" };
  return { assets: await bundleExplorer(), source: "bundled" };
}

function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path)] ?? "application/octet-stream";
}
