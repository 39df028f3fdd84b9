import {
  type GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
} from "graphql/index.js"; // the CJS entry on purpose: see src/schema/build-schema.ts
import { beforeAll, describe, expect, it } from "vitest";
import { buildGatewaySchema } from "../../../src/schema/build-schema.js";

/** Every schema element without a description, as a path such as `Mutation.refreshToken(input)`. */
function undescribedElements(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  const check = (path: string, description: string | null | undefined) => {
    if (!description?.trim()) missing.push(path);
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (isIntrospectionType(type)) continue;
    check(type.name, type.description);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        check(`${type.name}.${field.name}`, field.description);
        for (const arg of field.args) check(`${type.name}.${field.name}(${arg.name})`, arg.description);
      }
    }
    if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) check(`${type.name}.${field.name}`, field.description);
    }
    if (isEnumType(type)) {
      for (const value of type.getValues()) check(`${type.name}.${value.name}`, value.description);
    }
  }
  return missing;
}

describe("schema documentation", () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildGatewaySchema();
  });

  it("describes every type, field, argument and enum value", () => {
    expect(undescribedElements(schema)).toEqual([]);
  });

  it("would report an element without a description", () => {
    const config = schema.toConfig();
    const queryType = schema.getQueryType();
    expect(queryType).toBeDefined();
    const gatewayField = queryType!.getFields().gateway!;
    const saved = gatewayField.description;
    gatewayField.description = undefined;
    try {
      expect(undescribedElements(schema)).toEqual(["Query.gateway"]);
    } finally {
      gatewayField.description = saved;
    }
    expect(config.query).toBe(queryType);
  });

  it("declares the public API under the design's names", () => {
    const mutationFields = schema.getMutationType()?.getFields() ?? {};
    expect(String(mutationFields.createTokenWithIAM?.type)).toBe("CreateTokenWithIAMResponse!");
    expect(String(mutationFields.createTokenWithIAM?.args[0]?.type)).toBe("CreateTokenWithIAMInput!");
    expect(String(mutationFields.refreshToken?.type)).toBe("CreateTokenWithIAMResponse!");
    expect(String(mutationFields.refreshToken?.args[0]?.type)).toBe("RefreshTokenInput!");
    const grantType = schema.getType("GrantType");
    expect(isEnumType(grantType) && grantType.getValues().map((value) => value.name)).toEqual([
      "AUTHORIZATION_CODE",
      "REFRESH_TOKEN",
      "JWT_BEARER",
      "TOKEN_EXCHANGE",
    ]);
  });
});
