/**
 * `npm run build:explorer`: bundles the explorer (explorer/ → dist/explorer/) so a deployed
 * gateway serves it without bundling at run time (the container build runs this). Optional in
 * development: without dist/explorer the gateway bundles in memory on the first page view.
 */
import { relative } from "node:path";
import { bundleExplorer, EXPLORER_DIST_DIR, writeExplorerAssets } from "../src/server/explorer/explorer-bundle.js";

const started = Date.now();
const assets = await bundleExplorer();
await writeExplorerAssets(assets);
const totalBytes = [...assets.values()].reduce((sum, asset) => sum + asset.body.length, 0);
process.stdout.write(
  `explorer: ${assets.size} files, ${(totalBytes / 1024 / 1024).toFixed(1)} MiB in ${relative(process.cwd(), EXPLORER_DIST_DIR)}/ (${Date.now() - started} ms)\n`,
);
