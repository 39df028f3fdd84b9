import { describe, expect, it } from "vitest";
import { getMetadataStorage } from "type-graphql";
import { isObjectType, type GraphQLFieldResolver, type GraphQLObjectType, type GraphQLResolveInfo } from "graphql/index.js";
import { buildGatewaySchema } from "../../../src/schema/build-schema.js";
import { directResolver, installDirectResolvers, isDirectResolver, type HandlerOptions } from "../../../src/schema/direct-resolvers.js";

/**
 * The gateway's resolvers are called directly (src/schema/direct-resolvers.ts), not through
 * type-graphql's handler: a synchronous method answers synchronously, an input argument arrives as
 * graphql coerced it (the same object, no class copy), and the parent value is the object the
 * parent field returned. A resolver needing anything of the handler (middleware, roles, validation,
 * other parameter kinds) keeps type-graphql's.
 */
const schema = await buildGatewaySchema();
const info = {} as GraphQLResolveInfo;
const fieldOf = (typeName: string, fieldName: string) => (schema.getType(typeName) as GraphQLObjectType).getFields()[fieldName]!;
const resolve = (typeName: string, fieldName: string) => fieldOf(typeName, fieldName).resolve as GraphQLFieldResolver<unknown, unknown>;

describe("the schema's resolvers, called directly", () => {
  it("answers the gateway query synchronously from the context", () => {
    const config = { upstream: { mode: "emulator", region: "eu-west-1" }, exposeClientIds: true, defaultClientId: "app", allowedClientIds: ["app"] };
    const answer = resolve("Query", "gateway")(undefined, {}, { config }, info);
    expect(answer).not.toBeInstanceOf(Promise);
    expect(answer).toMatchObject({ region: "eu-west-1", defaultClientId: "app", allowedClientIds: ["app"] });
  });

  it("hands createTokenWithIAM its input as coerced and returns the token service's answer as it is, synchronously", () => {
    const issued = { accessToken: "a" };
    const seen: unknown[] = [];
    const context = { config: {}, tokens: { createToken: (request: unknown) => (seen.push(request), issued) } };
    const input = { grantType: "JWT_BEARER", assertion: "jwt", scope: ["openid"] };
    const answer = resolve("Mutation", "createTokenWithIAM")(undefined, { input }, context, info);
    expect(answer).toBe(issued);
    expect(seen).toEqual([{ grantType: "JWT_BEARER", assertion: "jwt", scope: ["openid"] }]);
  });

  it("hands refreshToken its input's fields, absent ones as null", () => {
    const seen: unknown[] = [];
    const context = { tokens: { refresh: (request: unknown) => (seen.push(request), { accessToken: "b" }) } };
    expect(resolve("Mutation", "refreshToken")(undefined, { input: { refreshToken: "r" } }, context, info)).toEqual({ accessToken: "b" });
    expect(seen).toEqual([{ clientId: undefined, refreshToken: "r", scope: undefined }]);
  });

  it("resolves a computed field from the parent object itself, synchronously", () => {
    const token = { issuedTokenType: "urn:amazon:webservices:token", refreshToken: "r" };
    expect(resolve("CreateTokenWithIAMResponse", "isAwsToken")(token, {}, {}, info)).toBe(true);
    expect(resolve("CreateTokenWithIAMResponse", "canRefresh")(token, {}, {}, info)).toBe(true);
  });

  it("replaces the handler of every root field and every field resolver", () => {
    const fieldResolvers = new Set(getMetadataStorage().fieldResolvers.map((resolver) => resolver.schemaName));
    const handled = Object.values(schema.getTypeMap())
      .filter((type): type is GraphQLObjectType => isObjectType(type) && !type.name.startsWith("__"))
      .flatMap((type) => Object.values(type.getFields()).filter((field) => field.resolve !== undefined).map((field) => `${type.name}.${field.name}`));
    expect(handled.length).toBeGreaterThan(fieldResolvers.size);
    for (const name of handled) {
      const [typeName, fieldName] = name.split(".") as [string, string];
      expect(isDirectResolver(fieldOf(typeName, fieldName).resolve), name).toBe(true);
    }
  });
});

describe("directResolver", () => {
  const instance = { method: (...params: unknown[]) => params };
  const base = { target: Object, methodName: "method", schemaName: "method", complexity: undefined };
  const param = (index: number, extra: Record<string, unknown>) => ({ target: Object, methodName: "method", index, ...extra });

  it("passes @Arg, @Ctx(), @Root() and @Info() in the method's parameter order, whatever order they were declared in", () => {
    const direct = directResolver(instance, {
      ...base,
      params: [
        param(2, { kind: "root", propertyName: undefined, getType: undefined }),
        param(0, { kind: "arg", name: "x", validateSettings: undefined, validateFn: undefined }),
        param(3, { kind: "info" }),
        param(1, { kind: "context", propertyName: undefined }),
      ],
    } as never)!;
    expect(direct("root", { x: 1 }, "context", info)).toEqual([1, "context", "root", info]);
  });

  it.each([
    ["a middleware", { middlewares: [() => undefined] }],
    ["roles", { roles: ["admin"] }],
    ["an argument validated on its own", { params: [param(0, { kind: "arg", name: "x", validateSettings: true, validateFn: undefined })] }],
    ["an argument with its own validator", { params: [param(0, { kind: "arg", name: "x", validateSettings: undefined, validateFn: () => undefined })] }],
    ["@Args()", { params: [param(0, { kind: "args", validateSettings: undefined, validateFn: undefined })] }],
    ["a context property", { params: [param(0, { kind: "context", propertyName: "user" })] }],
    ["a root property", { params: [param(0, { kind: "root", propertyName: "id", getType: undefined })] }],
    ["a custom parameter decorator", { params: [param(0, { kind: "custom", resolver: () => 1, options: {} })] }],
  ])("leaves a resolver with %s to type-graphql's handler", (_what, extra) => {
    expect(directResolver(instance, { ...base, ...extra } as never)).toBeUndefined();
  });

  it.each([
    ["validation", { validate: true }],
    ["validation left to its default", {}],
    ["a global middleware", { validate: false, globalMiddlewares: [() => undefined] }],
    ["an auth checker", { validate: false, authChecker: () => true }],
  ])("refuses to install over a schema built with %s, which type-graphql's handler applies to every resolver", (_what, options) => {
    expect(() => installDirectResolvers(schema, new Map(), options as HandlerOptions)).toThrow(/type-graphql's handler is needed/);
  });

  it("leaves a method the instance does not have to type-graphql", () => {
    expect(directResolver({}, { ...base, params: [] } as never)).toBeUndefined();
  });
});
