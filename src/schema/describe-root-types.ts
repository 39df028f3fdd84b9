import { GraphQLObjectType, GraphQLSchema } from "graphql/index.js"; // the CJS entry on purpose: see src/schema/build-schema.ts

/**
 * type-graphql cannot describe the root operation types, and every type of the public schema
 * is described. So the built schema is rebuilt once, at start-up, with described Query and
 * Mutation types; their fields (and resolvers) are carried over untouched.
 */
const ROOT_TYPE_DESCRIPTIONS = {
  query: "Read-only information about the gateway.",
  mutation: "Token exchanges: each one calls AWS IAM Identity Center's CreateTokenWithIAM (unless deduplicated within the operation).",
} as const;

export function describeRootTypes(schema: GraphQLSchema): GraphQLSchema {
  const config = schema.toConfig();
  const describe = (type: GraphQLObjectType | null | undefined, description: string) =>
    type ? new GraphQLObjectType({ ...type.toConfig(), description }) : type;
  const query = describe(config.query, ROOT_TYPE_DESCRIPTIONS.query);
  const mutation = describe(config.mutation, ROOT_TYPE_DESCRIPTIONS.mutation);
  const otherTypes = config.types.filter((type) => type !== config.query && type !== config.mutation);
  return new GraphQLSchema({
    ...config,
    query,
    mutation,
    // Roots first, so the printed SDL reads top-down as before.
    types: [...(query ? [query] : []), ...(mutation ? [mutation] : []), ...otherTypes],
  });
}
