import { getMetadataStorage, type BuildSchemaOptions } from "type-graphql";
import type { GraphQLFieldResolver, GraphQLObjectType, GraphQLSchema } from "graphql";

type Metadata = ReturnType<typeof getMetadataStorage>;
type ResolverMetadata = Metadata["queries"][number] | Metadata["fieldResolvers"][number];
type ParamMetadata = NonNullable<ResolverMetadata["params"]>[number];
type ParamReader = (root: unknown, args: Record<string, unknown>, context: unknown, info: unknown) => unknown;

/** The options of type-graphql's buildSchema that decide what its handler does on every call. */
export type HandlerOptions = Pick<BuildSchemaOptions, "validate" | "globalMiddlewares" | "authChecker">;

/** The resolvers installDirectResolvers made: for tests that check which fields have one. */
const installed = new WeakSet<Function>();
export const isDirectResolver = (resolve: unknown): boolean => typeof resolve === "function" && installed.has(resolve);

/**
 * Calls the gateway's resolver methods directly: the arguments graphql-js (or graphql-jit) coerced,
 * the context, the parent value or the resolve info, in the method's parameter order.
 *
 * Hand-written because type-graphql's own handler does per call what the gateway never uses: a
 * container look-up, a middleware runner, re-sorting the parameters, copying each input object into
 * an instance of its class, and an async validation step that, even switched off, turns every answer
 * into a promise a microtask later: on a cache hit's one mutation, several µs. Resolvers read plain
 * properties only, so graphql's plain input object serves them as the class instance did. The parent
 * value was passed on unchanged already (no @Root() here names a type).
 *
 * Only resolvers whose every parameter is a plain @Arg, @Ctx(), @Root() or @Info(), with no
 * middleware, role or per-argument validation, are replaced: anything else keeps type-graphql's
 * handler (test/unit/schema/direct-resolvers.test.ts pins both sides). Global validation, global
 * middlewares or an auth checker would apply to every resolver: with any of them this refuses to run.
 */
export function installDirectResolvers(schema: GraphQLSchema, instances: ReadonlyMap<Function, object>, options: HandlerOptions): GraphQLSchema {
  if (options.validate !== false || (options.globalMiddlewares?.length ?? 0) > 0 || options.authChecker !== undefined) {
    throw new TypeError("installDirectResolvers: type-graphql's handler is needed (validation, global middlewares or an auth checker are on)");
  }
  const storage = getMetadataStorage();
  const typeNameOf = (target: Function) => storage.objectTypes.find((objectType) => objectType.target === target)?.name;
  const place = (typeName: string | undefined, resolver: ResolverMetadata) => {
    const instance = instances.get(resolver.target);
    const type = typeName === undefined ? undefined : (schema.getType(typeName) as GraphQLObjectType | undefined);
    const field = type?.getFields()[resolver.schemaName];
    if (instance === undefined || field === undefined) return;
    const direct = directResolver(instance, resolver);
    if (direct !== undefined) field.resolve = direct;
  };
  for (const query of storage.queries) place(schema.getQueryType()?.name, query);
  for (const mutation of storage.mutations) place(schema.getMutationType()?.name, mutation);
  for (const fieldResolver of storage.fieldResolvers) {
    const objectType = fieldResolver.kind === "external" ? fieldResolver.getObjectType?.() : undefined;
    if (objectType !== undefined) place(typeNameOf(objectType), fieldResolver);
  }
  return schema;
}

/** The direct resolver for one method, or undefined when it needs anything of type-graphql's handler. */
export function directResolver(instance: object, resolver: ResolverMetadata): GraphQLFieldResolver<unknown, unknown> | undefined {
  if ((resolver.middlewares?.length ?? 0) > 0 || resolver.roles !== undefined) return undefined;
  const readers: ParamReader[] = [];
  for (const param of [...(resolver.params ?? [])].sort((a, b) => a.index - b.index)) {
    const reader = readerFor(param);
    if (reader === undefined) return undefined;
    readers.push(reader);
  }
  const method = (instance as Record<string, unknown>)[resolver.methodName];
  if (typeof method !== "function") return undefined;
  const call = method as (...params: unknown[]) => unknown;
  const direct: GraphQLFieldResolver<unknown, unknown> = (root, args, context, info) => call.apply(instance, readers.map((read) => read(root, args, context, info)));
  installed.add(direct);
  return direct;
}

function readerFor(param: ParamMetadata): ParamReader | undefined {
  switch (param.kind) {
    case "arg": {
      if (param.validateFn !== undefined || (param.validateSettings !== undefined && param.validateSettings !== false)) return undefined;
      const name = param.name;
      return (_root, args) => args[name];
    }
    case "context":
      return param.propertyName === undefined ? (_root, _args, context) => context : undefined;
    case "root":
      return param.propertyName === undefined ? (root) => root : undefined;
    case "info":
      return (_root, _args, _context, info) => info;
    default:
      return undefined;
  }
}
