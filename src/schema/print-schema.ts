import { printSchema } from "graphql/index.js"; // the CJS entry on purpose: see src/schema/build-schema.ts
import { buildGatewaySchema } from "./build-schema.js";

/** The SDL checked in as `schema.graphql`: graphql's printSchema of the built schema, newline-terminated. */
export async function printGatewaySchema(): Promise<string> {
  return `${printSchema(await buildGatewaySchema())}\n`;
}
