import { createHash } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { Logger } from "../../logging/logger.js";
import { loadExplorerAssets, type ExplorerAsset, type ExplorerAssets } from "./explorer-bundle.js";
import { EXPLORER_ASSETS_PATH } from "./explorer-page.js";

export interface ExplorerAssetSource {
  /** Starts loading (prebuilt or bundling) if not started; the page view calls it to warm up. */
  warmUp(): void;
  get(): Promise<ExplorerAssets>;
}

/** Loads the assets once per process; a failed load is logged and retried on the next request. */
export function createExplorerAssetSource(logger: Logger, load = loadExplorerAssets): ExplorerAssetSource {
  let loading: Promise<ExplorerAssets> | undefined;
  const get = () => {
    loading ??= (async () => {
      const started = Date.now();
      const { assets, source } = await load();
      logger.info({ source, files: assets.size, ms: Date.now() - started }, "explorer assets ready");
      return assets;
    })().catch((error: unknown) => {
      loading = undefined;
      logger.error({ err: error }, "explorer assets could not be built");
      throw error;
    });
    return loading;
  };
  return { get, warmUp: () => void get().catch(() => undefined) };
}

/** GET /_explorer/assets/<file>: the bundle, its stylesheet and Monaco's workers, with ETags. */
export function registerExplorerAssetsRoute(app: FastifyInstance, source: ExplorerAssetSource): void {
  const etags = new WeakMap<ExplorerAsset, string>();
  const etagOf = (asset: ExplorerAsset) => {
    let etag = etags.get(asset);
    if (etag === undefined) {
      etag = `"${createHash("sha256").update(asset.body).digest("base64url").slice(0, 27)}"`;
      etags.set(asset, etag);
    }
    return etag;
  };

  app.get<{ Params: { file: string } }>(`${EXPLORER_ASSETS_PATH}/:file`, async (request, reply) => {
    const asset = (await source.get()).get(request.params.file);
    if (asset === undefined) return reply.code(404).type("text/plain").send("not an explorer asset");
    const etag = etagOf(asset);
    reply.header("etag", etag).header("cache-control", "no-cache").header("x-content-type-options", "nosniff");
    if (request.headers["if-none-match"] === etag) return reply.code(304).send();
    return reply.type(asset.contentType).send(asset.body);
  });
}
