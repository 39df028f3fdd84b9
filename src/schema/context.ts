import type { Logger } from "../logging/logger.js";
import type { GatewayConfig } from "../config/config.types.js";
import type { RequestCredentialsService } from "../credentials/index.js";
import type { RequestSessionService } from "../sessions/index.js";
import type { RequestCaller, RequestTokenService } from "../tokens/token.types.js";

/**
 * What every resolver receives, built once per GraphQL request by the server's context
 * function. `tokens` holds the request's DataLoader, so it must never outlive the request.
 */
export interface GatewayContext {
  tokens: RequestTokenService;
  /** Identity-enhanced AWS credentials; its DataLoader, like `tokens`', lives and dies with the request. */
  credentials: RequestCredentialsService;
  /** Cookie sessions (SESSION_MODE=cookie): the request's session, behind the CSRF check. Session mode off: no session, mutations refused. */
  session: RequestSessionService;
  /** Who sent the request: its address as rate limits count it (an IPv6 caller by its network, IPV6_CALLER_PREFIX_LENGTH). */
  caller: RequestCaller;
  config: GatewayConfig;
  logger: Logger;
  requestId: string;
  /** True once the caller's connection is gone (it gave up): an answer written now reaches nobody. Absent: never (tests). */
  clientGone?: () => boolean;
}
