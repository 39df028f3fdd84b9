import type { GatewayConfig } from "../config/config.types.js";
import type { Logger } from "../logging/logger.js";
import type { RequestTokenService } from "../tokens/token.types.js";

/** What the server needs of the token service (src/tokens/index.ts implements it). */
export interface TokenService {
  forRequest(): RequestTokenService;
}

export interface GatewayServerDeps {
  config: GatewayConfig;
  tokenService: TokenService;
  logger: Logger;
  /** A human-readable name of the upstream (e.g. "embedded emulator at http://127.0.0.1:4001"), for logs. */
  upstreamLabel: string;
}

export interface GatewayServer {
  /** Starts listening; resolves with the GraphQL endpoint URL (`http://host:port/graphql`, the real port when 0 was asked). */
  listen(port: number, host: string): Promise<{ url: string }>;
  /** Stops accepting connections, lets in-flight requests finish, then stops Apollo. Idempotent. */
  close(): Promise<void>;
}
