import { Ctx, Query, Resolver } from "type-graphql";
import { GRANT_TYPES } from "../tokens/token.types.js";
import type { GatewayContext } from "./context.js";
import { GatewayInfo } from "./gateway-info.type.js";
import { GATEWAY_VERSION } from "./package-version.js";

@Resolver(() => GatewayInfo)
export class GatewayInfoResolver {
  @Query(() => GatewayInfo, { description: "The gateway's version, upstream and the applications and grants it serves." })
  gateway(@Ctx() context: GatewayContext): GatewayInfo {
    const { config } = context;
    return {
      version: GATEWAY_VERSION,
      upstreamMode: config.upstream.mode,
      region: config.upstream.region,
      supportedGrantTypes: GRANT_TYPES,
      // The account's application ARNs are for the operator to publish, not for any caller to read (EXPOSE_CLIENT_IDS).
      defaultClientId: config.exposeClientIds ? config.defaultClientId : null,
      allowedClientIds: config.exposeClientIds ? config.allowedClientIds : null,
    };
  }
}
