/**
 * A token minted by an emulator of another region is answered the way Identity Center answers a
 * token presented to the wrong regional endpoint: InvalidRequestRegionException naming where to go.
 */
import type { EmulatorContext } from "../emulator-context.js";
import { oidcError } from "../http/wire-errors.js";
import { regionalEndpoint, regionOfToken, type OpaqueTokenKind } from "../tokens/opaque-token.js";

export function assertTokenFromThisRegion(ctx: EmulatorContext, kind: OpaqueTokenKind, token: string): void {
  const region = regionOfToken(kind, token);
  if (region !== undefined && region !== ctx.region) {
    throw oidcError("InvalidRequestRegionException", `The ${kind} token was issued in ${region}; call that region's endpoint.`, {
      endpoint: regionalEndpoint(region),
      region,
    });
  }
}
