import { registerEnumType } from "type-graphql";
import type { UpstreamConfig } from "../config/config.types.js";

/** Internal values are the config's `upstream.mode` strings, so config can be returned as is. */
export const UpstreamMode = {
  EMBEDDED: "embedded",
  ENDPOINT: "endpoint",
  AWS: "aws",
} as const satisfies Record<string, UpstreamConfig["mode"]>;

registerEnumType(UpstreamMode, {
  name: "UpstreamMode",
  description: "Where the gateway sends CreateTokenWithIAM.",
  valuesConfig: {
    EMBEDDED: { description: "The SSO OIDC emulator bundled with the gateway (no upstream configured): for development only." },
    ENDPOINT: { description: "An explicitly configured SSO OIDC endpoint (SSO_OIDC_ENDPOINT), such as a proxy or a standalone emulator." },
    AWS: { description: "AWS IAM Identity Center in the configured region." },
  },
});
