/**
 * The emulator's configuration: documented defaults, the zod schema of the `EMULATOR_CONFIG` JSON
 * (every field optional), and `resolveEmulatorConfig()` which turns input into the fully-populated
 * config the rest of the emulator reads. A bad value fails here, once, naming the field.
 */
import { z } from "zod";

export const DEFAULT_APPLICATION_ARN =
  "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
export const DEFAULT_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE";
export const DEFAULT_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
export const DEFAULT_REGION = "us-east-1";
export const DEFAULT_PORT = 4001;
/** The role the default configuration has: trusts sts:SetContext, so identity-enhanced sessions work out of the box. */
export const DEFAULT_ROLE_ARN = "arn:aws:iam::123456789012:role/IdentityCenterUser";
/** Who the emulator's base IAM credentials belong to (GetCallerIdentity signed with them names it). */
export const DEFAULT_IAM_USER_ARN = "arn:aws:iam::123456789012:user/idc-token-gateway";
export const DEFAULT_HOST = "127.0.0.1";

export const BUILT_IN_ISSUER = "https://issuer.emulator.local";
export const BUILT_IN_AUDIENCE = "idc-token-gateway";

export const GRANT_TYPES = {
  authorizationCode: "authorization_code",
  refreshToken: "refresh_token",
  jwtBearer: "urn:ietf:params:oauth:grant-type:jwt-bearer",
  tokenExchange: "urn:ietf:params:oauth:grant-type:token-exchange",
} as const;
export type IamGrantType = (typeof GRANT_TYPES)[keyof typeof GRANT_TYPES];
export const IAM_GRANT_TYPES: readonly IamGrantType[] = Object.values(GRANT_TYPES);

const DEFAULT_SCOPES = ["openid", "aws", "sts:identity_context"];
const DEFAULT_REDIRECT_URIS = ["https://mywebapp.example/redirect", "http://localhost:4000/callback"];

/** AWS's lifetimes are 32-bit integers (expiresIn is one, and a GraphQL Int): a longer one could not be answered. */
const MAX_SECONDS = 2_147_483_647;
const positiveSeconds = z.int().min(1).max(MAX_SECONDS);
const nonEmpty = z.string().min(1);

const applicationSchema = z.strictObject({
  clientId: nonEmpty,
  grants: z.array(z.enum(IAM_GRANT_TYPES as [IamGrantType, ...IamGrantType[]])).optional(),
  redirectUris: z.array(nonEmpty).optional(),
  scopes: z.array(nonEmpty).optional(),
  accessTokenLifetimeSeconds: positiveSeconds.optional(),
  refreshTokenLifetimeSeconds: positiveSeconds.optional(),
  refreshTokenRotation: z.boolean().optional(),
  trustedIssuers: z.array(nonEmpty).optional(),
  rateLimitPerSecond: z.int().min(1).nullable().optional(),
});

const roleSchema = z.strictObject({
  arn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/, "must be an IAM role ARN such as arn:aws:iam::123456789012:role/Name"),
  /** Whether the role's trust policy allows sts:SetContext (AssumeRole with ProvidedContexts). */
  allowSetContext: z.boolean().optional(),
  /** IAM's MaxSessionDuration: one to twelve hours. */
  maxSessionDurationSeconds: z.int().min(3600).max(43200).optional(),
});

const jwksSchema = z.object({ keys: z.array(z.record(z.string(), z.unknown())) });

const trustedIssuerSchema = z
  .strictObject({
    issuer: nonEmpty,
    audiences: z.array(nonEmpty).min(1),
    jwksUri: z.url().optional(),
    jwks: jwksSchema.optional(),
  })
  .refine((issuer) => (issuer.jwksUri === undefined) !== (issuer.jwks === undefined), {
    message: "give exactly one of jwksUri or jwks",
  });

export const emulatorConfigSchema = z.strictObject({
  instanceArn: z.string().regex(/^arn:aws[a-z-]*:sso:::instance\/ssoins-[a-zA-Z0-9]+$/).optional(),
  identityStoreId: nonEmpty.optional(),
  accountId: z.string().regex(/^\d{12}$/).optional(),
  authorizationCodeLifetimeSeconds: positiveSeconds.optional(),
  maxClockSkewSeconds: positiveSeconds.optional(),
  applications: z.array(applicationSchema).min(1).optional(),
  trustedIssuers: z.array(trustedIssuerSchema).optional(),
  iamUserArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:user\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/, "must be an IAM user ARN").optional(),
  roles: z.array(roleSchema).optional(),
});

/** The `EMULATOR_CONFIG` JSON, every field optional. */
export type EmulatorConfigInput = z.input<typeof emulatorConfigSchema>;

export interface ApplicationConfig {
  clientId: string;
  grants: IamGrantType[];
  redirectUris: string[];
  scopes: string[];
  accessTokenLifetimeSeconds: number;
  refreshTokenLifetimeSeconds: number;
  refreshTokenRotation: boolean;
  /** Issuer URLs; undefined means "the built-in issuer and every configured one". */
  trustedIssuers: string[] | undefined;
  rateLimitPerSecond: number | null;
}

export interface TrustedIssuerConfig {
  issuer: string;
  audiences: string[];
  jwksUri?: string;
  jwks?: { keys: Record<string, unknown>[] };
}

export interface RoleConfig {
  arn: string;
  allowSetContext: boolean;
  maxSessionDurationSeconds: number;
}

export interface EmulatorConfig {
  instanceArn: string;
  identityStoreId: string;
  accountId: string;
  authorizationCodeLifetimeSeconds: number;
  maxClockSkewSeconds: number;
  applications: ApplicationConfig[];
  trustedIssuers: TrustedIssuerConfig[];
  iamUserArn: string;
  roles: RoleConfig[];
}

/** Thrown for a config that does not match the schema; the message names every bad field. */
export class EmulatorConfigError extends Error {
  override name = "EmulatorConfigError";
}

function describeIssues(error: z.ZodError, source: string): string {
  const lines = error.issues.map((issue) => {
    const path = issue.path.length === 0 ? "(root)" : issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "");
    return `  ${path}: ${issue.message}`;
  });
  return `${source} is invalid:\n${lines.join("\n")}`;
}

export function resolveEmulatorConfig(input: unknown = {}, source = "emulator config"): EmulatorConfig {
  const parsed = emulatorConfigSchema.safeParse(input ?? {});
  if (!parsed.success) throw new EmulatorConfigError(describeIssues(parsed.error, source));
  const config = parsed.data;
  const applications = (config.applications ?? [{ clientId: DEFAULT_APPLICATION_ARN }]).map(
    (app): ApplicationConfig => ({
      clientId: app.clientId,
      grants: app.grants ?? [...IAM_GRANT_TYPES],
      redirectUris: app.redirectUris ?? [...DEFAULT_REDIRECT_URIS],
      scopes: app.scopes ?? [...DEFAULT_SCOPES],
      accessTokenLifetimeSeconds: app.accessTokenLifetimeSeconds ?? 3600,
      refreshTokenLifetimeSeconds: app.refreshTokenLifetimeSeconds ?? 7_776_000,
      refreshTokenRotation: app.refreshTokenRotation ?? true,
      trustedIssuers: app.trustedIssuers,
      rateLimitPerSecond: app.rateLimitPerSecond ?? null,
    }),
  );
  const duplicate = applications.find((app, i) => applications.findIndex((a) => a.clientId === app.clientId) !== i);
  if (duplicate) throw new EmulatorConfigError(`${source} is invalid:\n  applications: clientId ${duplicate.clientId} appears twice`);
  const roles = (config.roles ?? [{ arn: DEFAULT_ROLE_ARN }]).map(
    (role): RoleConfig => ({
      arn: role.arn,
      allowSetContext: role.allowSetContext ?? true,
      maxSessionDurationSeconds: role.maxSessionDurationSeconds ?? 3600,
    }),
  );
  const duplicateRole = roles.find((role, i) => roles.findIndex((r) => r.arn === role.arn) !== i);
  if (duplicateRole) throw new EmulatorConfigError(`${source} is invalid:\n  roles: arn ${duplicateRole.arn} appears twice`);
  return {
    instanceArn: config.instanceArn ?? "arn:aws:sso:::instance/ssoins-111111111111",
    identityStoreId: config.identityStoreId ?? "d-3333333333",
    accountId: config.accountId ?? "111111111111",
    authorizationCodeLifetimeSeconds: config.authorizationCodeLifetimeSeconds ?? 300,
    maxClockSkewSeconds: config.maxClockSkewSeconds ?? 300,
    applications,
    trustedIssuers: (config.trustedIssuers ?? []).map((issuer) => ({ ...issuer })),
    iamUserArn: config.iamUserArn ?? DEFAULT_IAM_USER_ARN,
    roles,
  };
}
