/**
 * `npm run schema`: writes schema.graphql at the repository root from the code-first schema.
 * The output is deterministic (type-graphql builds types in declaration order), so the file
 * only changes when the schema does; test/unit/schema/schema-file.test.ts fails when it is stale.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { printGatewaySchema } from "../src/schema/print-schema.js";

const SCHEMA_FILE = fileURLToPath(new URL("../schema.graphql", import.meta.url));

writeFileSync(SCHEMA_FILE, await printGatewaySchema());
console.log(`wrote ${SCHEMA_FILE}`);
