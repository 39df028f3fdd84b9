import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const CLIENT_DIR = fileURLToPath(new URL("../../../examples/client/", import.meta.url));
const SOURCE_DIR = join(CLIENT_DIR, "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : [],
  );
}

describe("examples/client as a frontend module", () => {
  it("imports nothing at run time but its own files (packages only as `import type`)", () => {
    const runtimePackageImports = sourceFiles(SOURCE_DIR).flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(/^import\s+(?!type\b)[^;]*?from\s+"([^".][^"]*)";/gms)].map((match) => `${file.slice(SOURCE_DIR.length + 1)}: ${match[1]}`),
    );
    expect(runtimePackageImports).toEqual([]);
  });

  it("type-checks as browser code: DOM library, no Node types (examples/client/tsconfig.json)", () => {
    const configPath = join(CLIENT_DIR, "tsconfig.json");
    const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(String(d.messageText)); } })!;
    expect(parsed.options.types).toEqual([]);
    const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    expect(diagnostics).toEqual([]);
  });
});
