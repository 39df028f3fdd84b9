/** The example frontend client: typed operations, one-request helper, the token manager, the AWS credentials provider and the session client (session mode). */
export * from "./generated/graphql.js";
export { executeOperation, GatewayRequestError, type FetchLike, type GatewayRequestOptions } from "./gateway-request.js";
export { actionForErrorCode, backoffDelayMs, retryDelayMs, type RefreshFailureAction, type BackoffOptions } from "./error-policy.js";
export { TokenManager, SignedOutError, type TokenManagerState } from "./token-manager.js";
export type { TokenManagerOptions } from "./token-manager-options.js";
export type { BroadcastChannelLike, BroadcastChannelFactory } from "./tab-channel.js";
export type { LockManagerLike } from "./web-locks.js";
export { createCredentialsProvider, type CredentialsProvider } from "./credentials-provider.js";
export type { CredentialsProviderOptions } from "./credentials-provider-options.js";
export type { AwsSdkCredentials } from "./held-credentials.js";
export { createSessionClient } from "./session-client.js";
export type { SessionClient, SessionClientState } from "./session-client-types.js";
export type { SessionClientOptions, SessionFetchLike } from "./session-client-options.js";
export type { SessionEndReason } from "./session-client-channel.js";
