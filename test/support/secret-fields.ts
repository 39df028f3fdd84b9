import { randomBytes } from "node:crypto";

/**
 * Every field name whose value is a secret, as the TESTS know it: written here from the public
 * contracts, never imported from src/logging. A test that looped over the code's own list would
 * lose a field's test the moment the field left the list; this list stays, so the deletion fails.
 *
 * Where each name comes from:
 * - the GraphQL schema (schema.graphql): the grant inputs of CreateTokenWithIAMInput and
 *   RefreshTokenInput, the tokens of CreateTokenWithIAMResponse and its
 *   awsAdditionalDetails.identityContext ("STS context assertion … can be used to obtain an
 *   identity-enhanced IAM role session");
 * - the AWS SSO OIDC service model (sso-oidc, API version 2019-06-10): the members of
 *   CreateTokenWithIAM's request and response whose shape is marked `sensitive`, the sensitive
 *   `clientSecret` of the operations the bundled emulator also serves (RegisterClient, CreateToken,
 *   StartDeviceAuthorization), and the device flow's grant values (`code` and the device flow's
 *   codes are not marked sensitive by AWS, but each one redeems tokens);
 * - the OAuth wire spellings of the same values (RFC 6749, RFC 7636, RFC 8693), which the
 *   emulator's token endpoint and any raw HTTP body carry;
 * - AWS credentials (the SDK's AwsCredentialIdentity), the gateway's own key and Redis password;
 * - the HTTP headers that carry credentials (a logged request's headers).
 */

/** The schema's grant inputs: what callers send in `input`. */
export const SCHEMA_GRANT_INPUTS = ["assertion", "code", "codeVerifier", "refreshToken", "subjectToken"] as const;

/** The schema's token outputs: what AWS issues and the gateway returns. */
export const SCHEMA_TOKEN_OUTPUTS = ["accessToken", "refreshToken", "idToken", "identityContext"] as const;

/** CreateTokenWithIAM members the AWS model marks sensitive (request, then response). */
export const AWS_MODEL_SENSITIVE_MEMBERS = ["refreshToken", "assertion", "subjectToken", "codeVerifier", "accessToken", "idToken"] as const;

/**
 * STS AssumeRole (botocore's `sts/2011-06-15` model) as the gateway calls it for identity-enhanced
 * credentials: the context assertion it sends (`ProvidedContext.ContextAssertion`) and the
 * credentials it returns (`Credentials.SecretAccessKey`, `SessionToken`, also in CREDENTIAL_FIELDS).
 */
export const STS_MODEL_SECRETS = ["contextAssertion", "secretAccessKey", "sessionToken"] as const;

/** Sensitive or grant-redeeming members of the service's other operations (the emulator serves them). */
export const AWS_MODEL_OTHER_SECRETS = ["clientSecret", "deviceCode", "userCode"] as const;

/** The same secrets in OAuth wire spelling, plus RFC 7009/7662's generic `token` parameter. */
export const OAUTH_WIRE_SECRETS = ["access_token", "refresh_token", "id_token", "code_verifier", "subject_token", "client_secret", "token"] as const;

/** AWS credentials, GATEWAY_SECRET and a Redis URL's password. */
export const CREDENTIAL_FIELDS = ["secretAccessKey", "sessionToken", "gatewaySecret", "password"] as const;

/**
 * Session mode (README "Session mode"): the session id is the cookie's value, and a refresh's
 * forwarding note names the new id (`successorId`): either one is the session.
 */
export const SESSION_SECRETS = ["sessionId", "successorId"] as const;

/** Request and response headers that carry credentials. */
export const CREDENTIAL_HEADERS = ["authorization", "cookie", "set-cookie", "x-amz-security-token"] as const;

/** Every secret field name, once. */
export const SECRET_FIELDS: readonly string[] = [
  ...new Set<string>([
    ...SCHEMA_GRANT_INPUTS, ...SCHEMA_TOKEN_OUTPUTS, ...AWS_MODEL_SENSITIVE_MEMBERS, ...STS_MODEL_SECRETS, ...AWS_MODEL_OTHER_SECRETS,
    ...OAUTH_WIRE_SECRETS, ...CREDENTIAL_FIELDS, ...SESSION_SECRETS, ...CREDENTIAL_HEADERS,
  ]),
];

/** GraphQL objects whose every member is caller-supplied (and so may be any secret above). */
export const GRAPHQL_SECRET_CONTAINERS = ["input", "variables"] as const;

/**
 * A unique, recognisable secret value for `field`. Mixed case on purpose: an upper-case identifier
 * such as `ECONNRESET` under `code` is an error's diagnostic code, not an authorization code.
 */
export function secretValue(field: string): string {
  return `SeCrEt-${field}-${randomBytes(6).toString("base64url")}`;
}

/** What the gateway's logs show in place of a secret. */
export const REDACTED = "[redacted]";
