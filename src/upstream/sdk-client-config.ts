import type { NodeHttpHandlerOptions } from "@smithy/node-http-handler";
import type { HttpHandler } from "@smithy/protocol-http";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { ReplayGuardedRetryStrategy } from "./replay-guard.js";
import type { CreateUpstreamOptions } from "./upstream.types.js";

/**
 * The configuration the AWS SDK clients (SSO OIDC's two, STS) are built with: region, endpoint,
 * credentials, the shared HTTP handler, a retry strategy that replays only what `replayable` allows,
 * and the CPU saving below. `credentialsOf` reads the built client's resolved provider (the signer
 * is made on first use).
 */
export function sdkClientConfig(
  valid: CreateUpstreamOptions, handler: HttpHandler<NodeHttpHandlerOptions>, signingName: string, credentialsOf: () => AwsCredentialIdentityProvider,
  options: { replayable: boolean; retryThrottling?: boolean; credentials?: AwsCredentialIdentityProvider },
) {
  let signer: SignatureV4 | undefined;
  return {
    region: valid.region,
    ...(valid.endpoint === undefined ? {} : { endpoint: valid.endpoint }),
    // Another client's resolved provider (shared), or the configured static keys, or the SDK's default chain.
    ...(options.credentials !== undefined ? { credentials: options.credentials } : valid.credentials === undefined ? {} : { credentials: valid.credentials }),
    requestHandler: handler,
    maxAttempts: valid.maxAttempts,
    retryStrategy: new ReplayGuardedRetryStrategy(valid.maxAttempts, { replayable: options.replayable, ...(options.retryThrottling === undefined ? {} : { retryThrottling: options.retryThrottling }) }),
    // The middleware stack is resolved once, at the first send: calls are sent without options, their
    // timeout and abort signal reaching the HTTP handler by their request (call-options.ts).
    cacheMiddleware: true,
    // The SDK's `signer` option: one SigV4 signer for the client's life. By default the SDK builds a
    // new SignatureV4 (from a copy of the whole client config) on every call, so its signing-key
    // cache never hits and each call derives the key again (four HMACs): ~15 µs of CPU per call.
    // Same credentials provider (refreshing role credentials included), region and service name.
    signer: async () =>
      (signer ??= new SignatureV4({ credentials: credentialsOf(), region: valid.region, service: signingName, sha256: Hash.bind(null, "sha256"), uriEscapePath: true })),
  };
}
