import { describe, expect, it } from "vitest";
import { CONFIG_VARIABLES } from "../../../src/config/config-variables.js";
import { formatHelp, wantsHelp } from "../../../src/config/help.js";

describe("--help", () => {
  it("is asked for by --help or -h anywhere on the command line, and by nothing else", () => {
    expect([["--help"], ["-h"], ["--port", "1", "--help"], [], ["help"], ["--helpful"]].map(wantsHelp)).toEqual([true, true, true, false, false, false]);
  });

  it("lists every variable of CONFIG_VARIABLES with its default, what it accepts and its meaning", () => {
    const help = formatHelp(CONFIG_VARIABLES, "9.9.9");
    const flat = help.replace(/\n {4}/g, " "); // undo the word wrap: each variable's block becomes one line
    for (const variable of CONFIG_VARIABLES) {
      const expected = `${variable.description} default: ${variable.default ?? "(unset)"} accepts: ${variable.accepts}`.replace(/\s+/g, " ");
      expect(flat, variable.name).toContain(`\n  ${variable.name} ${expected}\n`);
    }
    expect(help.match(/^ {2}[A-Z][A-Z0-9_]+$/gm)).toEqual(CONFIG_VARIABLES.map((variable) => `  ${variable.name}`));
  });

  it("starts with the version and usage, and keeps every line within 100 columns unless one word is longer", () => {
    const help = formatHelp(CONFIG_VARIABLES, "9.9.9");
    expect(help.split("\n")[0]).toBe("idc-token-gateway 9.9.9: a GraphQL gateway for AWS IAM Identity Center's CreateTokenWithIAM");
    expect(help).toContain("  npm start -- --help             print this help and exit\n");
    const tooLong = help.split("\n").filter((line) => line.length > 100 && line.trim().includes(" "));
    expect(tooLong).toEqual([]);
  });
});
