/**
 * The CreateTokenWithIAM request members, read and type-checked once from the JSON body.
 */
import { optionalString, optionalStringList, type JsonObject } from "../http/json-input.js";

export interface IamGrantRequest {
  clientId: string | undefined;
  grantType: string | undefined;
  code: string | undefined;
  refreshToken: string | undefined;
  assertion: string | undefined;
  /** Undefined when absent or empty: the grant then uses the default scopes. */
  scopes: string[] | undefined;
  redirectUri: string | undefined;
  subjectToken: string | undefined;
  subjectTokenType: string | undefined;
  requestedTokenType: string | undefined;
  codeVerifier: string | undefined;
}

export function readIamGrantRequest(input: JsonObject): IamGrantRequest {
  const scopes = optionalStringList(input, "scope");
  return {
    clientId: optionalString(input, "clientId"),
    grantType: optionalString(input, "grantType"),
    code: optionalString(input, "code"),
    refreshToken: optionalString(input, "refreshToken"),
    assertion: optionalString(input, "assertion"),
    scopes: scopes === undefined || scopes.length === 0 ? undefined : scopes,
    redirectUri: optionalString(input, "redirectUri"),
    subjectToken: optionalString(input, "subjectToken"),
    subjectTokenType: optionalString(input, "subjectTokenType"),
    requestedTokenType: optionalString(input, "requestedTokenType"),
    codeVerifier: optionalString(input, "codeVerifier"),
  };
}
