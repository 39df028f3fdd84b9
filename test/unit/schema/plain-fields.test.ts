import { describe, expect, it } from "vitest";
import { getMetadataStorage } from "type-graphql";
import { isObjectType, type GraphQLSchema } from "graphql/index.js";
import { buildGatewaySchema } from "../../../src/schema/build-schema.js";

/**
 * Plain object-type fields (AWS's response fields, the gateway's info, claims, credentials, session)
 * must have no resolver of their own: graphql-jit then reads them inline instead of calling a
 * type-graphql middleware runner per field (build-schema.ts). Only fields a @FieldResolver declares
 * may resolve, and those must keep their resolvers.
 */
const schema: GraphQLSchema = await buildGatewaySchema();
const gatewayObjectTypes = Object.values(schema.getTypeMap()).filter(
  (type) => isObjectType(type) && !type.name.startsWith("__") && type !== schema.getQueryType() && type !== schema.getMutationType(),
);
const declaredFieldResolvers = new Set(getMetadataStorage().fieldResolvers.map((resolver) => `${resolver.getObjectType?.()?.name}.${resolver.schemaName}`));

describe("the schema's plain object-type fields", () => {
  it("covers the response types a cache hit walks", () => {
    expect(gatewayObjectTypes.map((type) => type.name)).toEqual(expect.arrayContaining(["CreateTokenWithIAMResponse", "AwsAdditionalDetails", "GatewayInfo"]));
  });

  it.each(gatewayObjectTypes.map((type) => [type.name, type] as const))("%s: only @FieldResolver fields have a resolver", (_name, type) => {
    if (!isObjectType(type)) throw new Error("not an object type");
    const withResolver = Object.values(type.getFields()).filter((field) => field.resolve !== undefined).map((field) => field.name);
    const classOf = (getMetadataStorage().objectTypes.find((objectType) => objectType.name === type.name)?.target as { name: string } | undefined)?.name;
    const expected = Object.keys(type.getFields()).filter((field) => declaredFieldResolvers.has(`${classOf}.${field}`));
    expect(withResolver.sort()).toEqual(expected.sort());
  });

  it("leaves AWS's response fields to the default resolver, and the computed ones to theirs", () => {
    const fields = (schema.getType("CreateTokenWithIAMResponse") as import("graphql").GraphQLObjectType).getFields();
    for (const name of ["accessToken", "tokenType", "expiresIn", "refreshToken", "idToken", "issuedTokenType", "scope", "awsAdditionalDetails"]) {
      expect(fields[name]!.resolve, name).toBeUndefined();
    }
    expect(fields.expiresAt!.resolve).toBeTypeOf("function");
    expect(fields.isAwsToken!.resolve).toBeTypeOf("function");
  });
});
