export { createCredentialsService, roleSessionNameFor, type CredentialsService, type CredentialsServiceDeps, type CredentialsMetrics } from "./credentials-service.js";
export { validateCredentialsRequest, CREDENTIALS_OFF, IDENTITY_CONTEXT_LENGTH, MIN_DURATION_SECONDS } from "./credentials-request.js";
export type { CredentialsOptions, CredentialsRequest, FieldPrefix, IdentityContextIssue, IdentityContextVerifier, IssuedCredentials, RequestCredentialsService } from "./credentials.types.js";
