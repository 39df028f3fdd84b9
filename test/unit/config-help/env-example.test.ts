import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CONFIG_VARIABLES } from "../../../src/config/config-variables.js";
import { formatEnvExample } from "../../../src/config/help.js";
import { loadConfig } from "../../../src/config/load-config.js";

const ENV_EXAMPLE = new URL("../../../.env.example", import.meta.url);

/** NAME=value of every commented-out assignment (`# NAME=value`). */
function assignments(text: string): [string, string][] {
  return [...text.matchAll(/^# ([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((match) => [match[1]!, match[2]!]);
}

describe(".env.example", () => {
  it("matches CONFIG_VARIABLES as read now (run `npm run env:example` to regenerate it)", () => {
    const checkedIn = readFileSync(ENV_EXAMPLE, "utf8");
    expect(checkedIn === formatEnvExample(CONFIG_VARIABLES), ".env.example is stale: run `npm run env:example` and commit it").toBe(true);
  });

  it("has one assignment per variable, in CONFIG_VARIABLES order, each after its default and accepted values", () => {
    const text = formatEnvExample(CONFIG_VARIABLES);
    expect(assignments(text).map(([name]) => name)).toEqual(CONFIG_VARIABLES.map((variable) => variable.name));
    for (const variable of CONFIG_VARIABLES) {
      const block = text.split("\n\n").find((part) => assignments(part)[0]?.[0] === variable.name) ?? "";
      const expected = `Default: ${variable.default ?? "(unset)"}. Accepts: ${variable.accepts}.`.replace(/\s+/g, " ");
      expect(block.replace(/\n# /g, " "), variable.name).toContain(expected);
    }
  });

  it("loads without error when every line is uncommented as is (defaults are values the gateway accepts)", () => {
    const env = Object.fromEntries(assignments(formatEnvExample(CONFIG_VARIABLES)));
    const config = loadConfig(env);
    expect(config.port).toBe(4000);
    expect(config.upstream).toEqual({ mode: "embedded", region: "us-east-1", emulatorPort: 4001, explicit: false });
  });
});
