/**
 * The naive reference gateway the bench compares against: Apollo Server (standalone) with a
 * hand-written schema and one SDK CreateTokenWithIAM call per request: no DataLoader, cache,
 * single-flight, validation or logging. What a throwaway prototype would be.
 * Run by the bench: SSO_OIDC_ENDPOINT, AWS_REGION and AWS credentials come from the environment.
 */
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { CreateTokenWithIAMCommand, SSOOIDCClient } from "@aws-sdk/client-sso-oidc";

const GRANT_URNS: Record<string, string> = {
  AUTHORIZATION_CODE: "authorization_code",
  REFRESH_TOKEN: "refresh_token",
  JWT_BEARER: "urn:ietf:params:oauth:grant-type:jwt-bearer",
  TOKEN_EXCHANGE: "urn:ietf:params:oauth:grant-type:token-exchange",
};
const DEFAULT_CLIENT_ID = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";

const typeDefs = `#graphql
  enum GrantType { AUTHORIZATION_CODE REFRESH_TOKEN JWT_BEARER TOKEN_EXCHANGE }
  input CreateTokenWithIAMInput {
    clientId: String, grantType: GrantType!, code: String, refreshToken: String, assertion: String, scope: [String!],
    redirectUri: String, subjectToken: String, subjectTokenType: String, requestedTokenType: String, codeVerifier: String
  }
  input RefreshTokenInput { clientId: String, refreshToken: String!, scope: [String!] }
  type AwsAdditionalDetails { identityContext: String }
  type CreateTokenWithIAMResponse {
    accessToken: String, tokenType: String, expiresIn: Int, refreshToken: String, idToken: String,
    issuedTokenType: String, scope: [String!], awsAdditionalDetails: AwsAdditionalDetails
  }
  type Query { ok: Boolean }
  type Mutation {
    createTokenWithIAM(input: CreateTokenWithIAMInput!): CreateTokenWithIAMResponse!
    refreshToken(input: RefreshTokenInput!): CreateTokenWithIAMResponse!
  }
`;

const client = new SSOOIDCClient({ region: process.env.AWS_REGION ?? "us-east-1", endpoint: process.env.SSO_OIDC_ENDPOINT });

type Input = Record<string, unknown> & { grantType?: string; clientId?: string };
const exchange = (input: Input) =>
  client.send(new CreateTokenWithIAMCommand({ ...input, clientId: input.clientId ?? DEFAULT_CLIENT_ID, grantType: GRANT_URNS[input.grantType ?? ""] ?? input.grantType } as never));

const server = new ApolloServer({
  typeDefs,
  resolvers: {
    Query: { ok: () => true },
    Mutation: {
      createTokenWithIAM: (_: unknown, { input }: { input: Input }) => exchange(input),
      refreshToken: (_: unknown, { input }: { input: Input }) => exchange({ ...input, grantType: "REFRESH_TOKEN" }),
    },
  },
});

const { url } = await startStandaloneServer(server, { listen: { port: Number(process.env.PORT ?? 0), host: "127.0.0.1" } });
process.stdout.write(`naive gateway ready at ${url.replace(/\/$/, "")}/graphql\n`);
const stop = () => void server.stop().then(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
