import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { approveInput, assertionInput, authorizeInput, denyInput } from "../../src/emulator/devapi/dev-api-inputs.js";
import { faultSchema } from "../../src/emulator/devapi/faults.js";
import { startTestEmulator, type TestEmulator } from "../support/emulator-harness.js";

/**
 * The README's developer-API table is what users type: every body it shows lists exactly the fields
 * the emulator accepts (`"name"?` when optional), and a field it does not take is refused by name.
 */
const README = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

const SCHEMAS: Record<string, z.ZodObject> = {
  "POST /_emulator/assertions": assertionInput,
  "POST /_emulator/authorize": authorizeInput,
  "POST /_emulator/device/approve": approveInput,
  "POST /_emulator/device/deny": denyInput,
  "POST /_emulator/faults": faultSchema,
};

/** Each `METHOD /path` `{"a","b"?}` pair in the README's developer-API rows, as field lists. */
function documentedBodies(): Map<string, string[]> {
  const bodies = new Map<string, string[]>();
  for (const row of README.split("\n").filter((line) => line.startsWith("| `POST /_emulator/"))) {
    const firstCell = row.split(" | ")[0]!;
    for (const [, request, body] of firstCell.matchAll(/`(POST \/_emulator\/[^`]+)` `(\{[^`]*\})`/g)) {
      bodies.set(request!, [...body!.matchAll(/"(\w+)"(\??)/g)].map(([, name, optional]) => `${name}${optional}`));
    }
  }
  return bodies;
}

function acceptedFields(schema: z.ZodObject): string[] {
  return Object.entries(schema.shape).map(([name, field]) => `${name}${(field as z.ZodType).safeParse(undefined).success ? "?" : ""}`);
}

describe("the README's developer-API table", () => {
  it("lists, for every body-taking route, exactly the fields the emulator accepts and which are optional", () => {
    const documented = documentedBodies();
    expect([...documented.keys()].sort()).toEqual(Object.keys(SCHEMAS).sort());
    for (const [request, schema] of Object.entries(SCHEMAS)) {
      expect({ request, fields: [...documented.get(request)!].sort() }).toEqual({ request, fields: acceptedFields(schema).sort() });
    }
  });
});

describe("a field the developer API does not take", () => {
  let emulator: TestEmulator;
  beforeAll(async () => {
    emulator = await startTestEmulator();
  });
  afterAll(async () => {
    await emulator?.stop();
  });

  it("is refused with 400 naming it (exp is not expiresInSeconds), never silently ignored", async () => {
    const response = await fetch(new URL("/_emulator/assertions", emulator.url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sub: "alice", exp: 60 }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "invalid_request", error_description: "exp: not a field of this request" });
  });
});
