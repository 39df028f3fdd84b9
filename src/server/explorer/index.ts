import type { ApolloServerPlugin } from "@apollo/server";
import type { FastifyInstance } from "fastify";
import type { Logger } from "../../logging/logger.js";
import { createExplorerAssetSource, registerExplorerAssetsRoute } from "./explorer-assets.route.js";
import { registerExplorerEmulatorRoutes } from "./explorer-emulator.route.js";
import { createExplorerLandingPagePlugin } from "./explorer-landing-page.plugin.js";
import { registerExplorerPageHeaders } from "./explorer-page-headers.js";

export interface ExplorerOptions {
  /** The GraphQL endpoint path (the page is served there to browsers). */
  endpoint: string;
  logger: Logger;
  /** The embedded emulator's base URL; undefined when the gateway talks to a configured upstream. */
  emulatorUrl: string | undefined;
  /** The application test authorization codes are issued for. */
  defaultClientId: string;
  /** NODE_ENV=production: the test-credential routes are never registered, whatever the upstream. */
  production: boolean;
  /** EXPLORER_EMULATOR_ACCESS. */
  emulatorAccess: "loopback" | "any";
}

/**
 * The offline explorer: registers its asset and test-credential routes on `app` and returns the
 * Apollo landing-page plugin that serves the page at the endpoint.
 */
export function registerExplorer(app: FastifyInstance, options: ExplorerOptions): ApolloServerPlugin {
  const assets = createExplorerAssetSource(options.logger);
  registerExplorerAssetsRoute(app, assets);
  // Not framable, not sniffed, not cached, no Referer (explorer-page-headers.ts).
  registerExplorerPageHeaders(app, options.endpoint);
  // In production they would mint credentials the gateway exchanges, for anyone: never served there.
  const emulatorUrl = options.production ? undefined : options.emulatorUrl;
  if (emulatorUrl !== undefined) {
    registerExplorerEmulatorRoutes(app, { emulatorUrl, clientId: options.defaultClientId, access: options.emulatorAccess });
  }
  return createExplorerLandingPagePlugin({
    endpoint: options.endpoint,
    emulator: emulatorUrl !== undefined,
    onView: assets.warmUp,
  });
}

export { EXPLORER_CONTENT_SECURITY_POLICY } from "./explorer-page.js";
export { EXPLORER_PAGE_HEADERS } from "./explorer-page-headers.js";
