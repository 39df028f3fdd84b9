import "reflect-metadata";
import type { GraphQLSchema } from "graphql";
import { buildSchema } from "type-graphql";
import { describeRootTypes } from "./describe-root-types.js";
import { CredentialsResolver, TokenCredentialsResolver } from "./credentials.resolver.js";
import { GatewayInfoResolver } from "./gateway-info.resolver.js";
import { SessionResolver } from "./session.resolver.js";
import { TokenComputedFieldsResolver } from "./token-computed.resolver.js";
import { TokenResolver } from "./token.resolver.js";

/*
 * Import graphql's values from "graphql/index.js", never "graphql". graphql 16 ships two builds
 * (index.js, CJS; index.mjs via the "module" field). Node, type-graphql, Apollo Server and
 * graphql-scalars all load index.js; Vite (vitest) resolves a bare "graphql" in our sources to
 * index.mjs, which would create a second graphql realm and fail its instanceof checks.
 * Type-only imports are unaffected.
 */

const RESOLVER_CLASSES = [TokenResolver, TokenComputedFieldsResolver, TokenCredentialsResolver, CredentialsResolver, SessionResolver, GatewayInfoResolver] as const;

/**
 * Builds the gateway's executable schema. Resolvers are stateless, so one instance of each is
 * created here and handed to type-graphql instead of its global container; all per-request
 * state travels in the context. type-graphql's class-validator integration is off: input
 * validation lives in tokens/, in one place.
 */
export async function buildGatewaySchema(): Promise<GraphQLSchema> {
  const instances = new Map<Function, object>(RESOLVER_CLASSES.map((resolverClass) => [resolverClass, new resolverClass()]));
  const schema = await buildSchema({
    resolvers: [...RESOLVER_CLASSES],
    validate: false,
    container: {
      get(someClass) {
        const instance = instances.get(someClass);
        if (instance === undefined) throw new Error(`buildGatewaySchema: no resolver instance registered for ${someClass.name}`);
        return instance;
      },
    },
  });
  return describeRootTypes(schema);
}
