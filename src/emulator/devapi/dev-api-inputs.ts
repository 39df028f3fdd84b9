/**
 * Schemas of the developer API's request bodies. A bad body becomes 400
 * `{"error": "invalid_request", "error_description": "<field>: <problem>"}`. Strict: a field the API
 * does not take (say `exp` for `expiresInSeconds`) is refused by name, never silently ignored.
 */
import { z } from "zod";

const scopeList = z.union([z.array(z.string().min(1)), z.string().transform((s) => s.split(/\s+/).filter(Boolean))]);

export const assertionInput = z.strictObject({
  sub: z.string().min(1),
  aud: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  iss: z.string().min(1).optional(),
  expiresInSeconds: z.int().optional(),
  notBeforeSeconds: z.int().optional(),
  claims: z.record(z.string(), z.unknown()).optional(),
});

export const authorizeInput = z.strictObject({
  clientId: z.string().min(1).optional(),
  redirectUri: z.string().min(1),
  sub: z.string().min(1),
  codeChallenge: z.string().min(1).optional(),
  codeChallengeMethod: z.enum(["S256", "plain"]).optional(),
  scope: scopeList.optional(),
});

export const approveInput = z.strictObject({ userCode: z.string().min(1), sub: z.string().min(1) });
export const denyInput = z.strictObject({ userCode: z.string().min(1) });

export function describeFirstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return "invalid body";
  if (issue.code === "unrecognized_keys") return `${issue.keys.join(", ")}: not a field of this request`;
  const field = issue.path.length === 0 ? "body" : issue.path.join(".");
  return `${field}: ${issue.message}`;
}
