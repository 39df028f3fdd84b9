import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { README_PATH, renderReadme } from "../../scripts/readme-tables.js";
import { CONFIG_VARIABLES } from "../../src/config/index.js";
import { ERROR_CODES } from "../../src/errors/error-codes.js";

const readme = readFileSync(README_PATH, "utf8");

describe("README tables", () => {
  it("documents every configuration variable and every error code exactly as the code defines them (run `npm run docs` to regenerate)", () => {
    expect(renderReadme(readme)).toBe(readme);
  });

  it("lists each configuration variable and each error code by name", () => {
    for (const variable of CONFIG_VARIABLES) expect(readme).toContain(`| \`${variable.name}\` |`);
    for (const code of Object.keys(ERROR_CODES)) expect(readme).toContain(`| \`${code}\` |`);
  });
});
