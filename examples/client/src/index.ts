/** The example frontend client: typed operations, one-request helper, the token manager and the AWS credentials provider. */
export * from "./generated/graphql.js";
export { executeOperation, GatewayRequestError, type FetchLike, type GatewayRequestOptions } from "./gateway-request.js";
export { actionForErrorCode, backoffDelayMs, type RefreshFailureAction, type BackoffOptions } from "./error-policy.js";
export { TokenManager, SignedOutError, type TokenManagerState } from "./token-manager.js";
export type { TokenManagerOptions } from "./token-manager-options.js";
export type { BroadcastChannelLike, BroadcastChannelFactory } from "./tab-channel.js";
export type { LockManagerLike } from "./web-locks.js";
export { createCredentialsProvider, type CredentialsProvider } from "./credentials-provider.js";
export type { CredentialsProviderOptions } from "./credentials-provider-options.js";
export type { AwsSdkCredentials } from "./held-credentials.js";
