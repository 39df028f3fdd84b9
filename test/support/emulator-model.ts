/**
 * Facts about AWS SSO OIDC that the emulator tests check against, copied from the service model
 * (`sso-oidc-2019-06-10.service.json`) and the emulator contract (`docs/emulator.md`) so the
 * tests run on a fresh clone without the reference folder.
 */
import {
  AccessDeniedException,
  AuthorizationPendingException,
  ExpiredTokenException,
  InternalServerException,
  InvalidClientException,
  InvalidClientMetadataException,
  InvalidGrantException,
  InvalidRedirectUriException,
  InvalidRequestException,
  InvalidRequestRegionException,
  InvalidScopeException,
  SlowDownException,
  UnauthorizedClientException,
  UnsupportedGrantTypeException,
  type SSOOIDCServiceException,
} from "@aws-sdk/client-sso-oidc";

/** Grant type values as CreateTokenWithIAM / CreateToken take them on the wire. */
export const GRANT = {
  authorizationCode: "authorization_code",
  refreshToken: "refresh_token",
  jwtBearer: "urn:ietf:params:oauth:grant-type:jwt-bearer",
  tokenExchange: "urn:ietf:params:oauth:grant-type:token-exchange",
  deviceCode: "urn:ietf:params:oauth:grant-type:device_code",
} as const;

/** Token type URIs of the model (`subjectTokenType`, `requestedTokenType`, `issuedTokenType`). */
export const TOKEN_TYPE = {
  accessToken: "urn:ietf:params:oauth:token-type:access_token",
  refreshToken: "urn:ietf:params:oauth:token-type:refresh_token",
  idToken: "urn:ietf:params:oauth:token-type:id_token",
  awsToken: "urn:amazon:webservices:token",
} as const;

/** The default application's scopes (contract: the application's scopes when none are requested). */
export const DEFAULT_SCOPES = ["openid", "aws", "sts:identity_context"] as const;

/** The default application's redirect URIs (contract / issue 2). */
export const DEFAULT_REDIRECT_URIS = ["https://mywebapp.example/redirect", "http://localhost:4000/callback"] as const;

/** The built-in trusted token issuer (contract). */
export const BUILT_IN_ISSUER = { issuer: "https://issuer.emulator.local", audience: "idc-token-gateway" } as const;

/** Claims every idToken must carry (contract, "Success"). */
export const ID_TOKEN_CLAIMS = [
  "sub",
  "aud",
  "iss",
  "exp",
  "iat",
  "auth_time",
  "sts:identity_context",
  "sts:audit_context",
  "aws:identity_store_id",
  "aws:identity_store_arn",
  "aws:instance_arn",
  "aws:instance_account",
  "aws:credential_id",
] as const;

type ExceptionClass = new (...args: never[]) => SSOOIDCServiceException;

export interface ModeledException {
  name: string;
  type: ExceptionClass;
  httpStatus: number;
  fault: "client" | "server";
  /** The OAuth `error` code the contract assigns to the exception. */
  oauthError: string;
}

function modeled(type: ExceptionClass, name: string, httpStatus: number, oauthError: string): ModeledException {
  return { name, type, httpStatus, fault: httpStatus >= 500 ? "server" : "client", oauthError };
}

/** Every exception of the model, with its status (model `error.httpStatusCode`) and OAuth code (contract). */
export const EXCEPTIONS = {
  AccessDeniedException: modeled(AccessDeniedException, "AccessDeniedException", 400, "access_denied"),
  AuthorizationPendingException: modeled(AuthorizationPendingException, "AuthorizationPendingException", 400, "authorization_pending"),
  ExpiredTokenException: modeled(ExpiredTokenException, "ExpiredTokenException", 400, "expired_token"),
  InternalServerException: modeled(InternalServerException, "InternalServerException", 500, "server_error"),
  InvalidClientException: modeled(InvalidClientException, "InvalidClientException", 401, "invalid_client"),
  InvalidClientMetadataException: modeled(InvalidClientMetadataException, "InvalidClientMetadataException", 400, "invalid_client_metadata"),
  InvalidGrantException: modeled(InvalidGrantException, "InvalidGrantException", 400, "invalid_grant"),
  InvalidRedirectUriException: modeled(InvalidRedirectUriException, "InvalidRedirectUriException", 400, "invalid_redirect_uri"),
  InvalidRequestException: modeled(InvalidRequestException, "InvalidRequestException", 400, "invalid_request"),
  InvalidRequestRegionException: modeled(InvalidRequestRegionException, "InvalidRequestRegionException", 400, "invalid_request"),
  InvalidScopeException: modeled(InvalidScopeException, "InvalidScopeException", 400, "invalid_scope"),
  SlowDownException: modeled(SlowDownException, "SlowDownException", 400, "slow_down"),
  UnauthorizedClientException: modeled(UnauthorizedClientException, "UnauthorizedClientException", 400, "unauthorized_client"),
  UnsupportedGrantTypeException: modeled(UnsupportedGrantTypeException, "UnsupportedGrantTypeException", 400, "unsupported_grant_type"),
} as const;

export type ExceptionName = keyof typeof EXCEPTIONS;

/** The `errors` list of each operation in the model. */
export const OPERATION_ERRORS: Record<string, readonly ExceptionName[]> = {
  CreateTokenWithIAM: [
    "InvalidRequestException",
    "InvalidClientException",
    "InvalidGrantException",
    "UnauthorizedClientException",
    "UnsupportedGrantTypeException",
    "InvalidScopeException",
    "AuthorizationPendingException",
    "SlowDownException",
    "AccessDeniedException",
    "ExpiredTokenException",
    "InternalServerException",
    "InvalidRequestRegionException",
  ],
  CreateToken: [
    "InvalidRequestException",
    "InvalidClientException",
    "InvalidGrantException",
    "UnauthorizedClientException",
    "UnsupportedGrantTypeException",
    "InvalidScopeException",
    "AuthorizationPendingException",
    "SlowDownException",
    "AccessDeniedException",
    "ExpiredTokenException",
    "InternalServerException",
  ],
  RegisterClient: [
    "InvalidRequestException",
    "InvalidScopeException",
    "InvalidClientMetadataException",
    "InternalServerException",
    "InvalidRedirectUriException",
    "UnsupportedGrantTypeException",
    "SlowDownException",
  ],
  StartDeviceAuthorization: [
    "InvalidRequestException",
    "InvalidClientException",
    "UnauthorizedClientException",
    "SlowDownException",
    "InternalServerException",
  ],
};
