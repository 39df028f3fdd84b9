import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { printGatewaySchema } from "../../../src/schema/print-schema.js";

const SCHEMA_FILE = new URL("../../../schema.graphql", import.meta.url);

describe("schema.graphql", () => {
  it("matches the schema built from src/schema (run `npm run schema` to regenerate it)", async () => {
    const printed = await printGatewaySchema();
    const checkedIn = readFileSync(SCHEMA_FILE, "utf8");
    expect(checkedIn === printed, "schema.graphql is stale: run `npm run schema` and commit schema.graphql").toBe(true);
  });

  it("is printed identically on every build", async () => {
    expect(await printGatewaySchema()).toBe(await printGatewaySchema());
  });
});
