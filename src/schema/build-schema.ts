import "reflect-metadata";
import type { GraphQLSchema } from "graphql";
import { buildSchema, type BuildSchemaOptions } from "type-graphql";
import { describeRootTypes } from "./describe-root-types.js";
import { installDirectResolvers } from "./direct-resolvers.js";
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
 *
 * Every object type sets `simpleResolvers: true`: its plain fields get no resolver of their own
 * (graphql's default, a property read), where type-graphql would otherwise wrap each in a
 * middleware runner that the gateway, using no middlewares, never needs. graphql-jit inlines a
 * field without a resolver into its compiled query instead of calling it with a resolve info built
 * for the call: on a cache hit's AWS fields that is most of the field walk. Fields declared by
 * a @FieldResolver keep theirs. test/unit/schema/plain-fields.test.ts pins it for every type.
 * Those, and the queries and mutations, are then called directly (direct-resolvers.ts), which relies
 * on validation being off here.
 */
export async function buildGatewaySchema(): Promise<GraphQLSchema> {
  const instances = new Map<Function, object>(RESOLVER_CLASSES.map((resolverClass) => [resolverClass, new resolverClass()]));
  const options = {
    resolvers: [...RESOLVER_CLASSES] as [Function, ...Function[]],
    validate: false,
    container: {
      get(someClass) {
        const instance = instances.get(someClass);
        if (instance === undefined) throw new Error(`buildGatewaySchema: no resolver instance registered for ${someClass.name}`);
        return instance;
      },
    },
  } satisfies BuildSchemaOptions;
  const schema = await buildSchema(options);
  return describeRootTypes(installDirectResolvers(schema, instances, options));
}
