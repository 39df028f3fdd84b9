import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/config/config-error.js";
import { loadEnvFile } from "../../../src/config/env-file.js";

/**
 * ENV_FILE's default is `.env`, and `.env.example` shows `# ENV_FILE=.env`. Uncommented with the rest (a
 * first-day review), and handed to `docker run --env-file .env` (the image has no .env), or set to `.env`
 * anywhere no .env exists, it stopped the gateway: "ENV_FILE must be a file path …: ".env" does not exist",
 * where leaving it unset (the same value) starts. Naming the default file now behaves as the default.
 */
describe("loadEnvFile", () => {
  const directory = mkdtempSync(join(tmpdir(), "idcgw-env-file-"));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it("reads nothing, and does not fail, when ENV_FILE names the default .env and there is none", () => {
    expect(loadEnvFile({}, directory)).toBeUndefined();
    expect(loadEnvFile({ ENV_FILE: ".env" }, directory)).toBeUndefined();
    expect(loadEnvFile({ ENV_FILE: "./.env" }, directory)).toBeUndefined();
    expect(loadEnvFile({ ENV_FILE: join(directory, ".env") }, directory)).toBeUndefined();
  });

  it("still refuses another file that does not exist, naming ENV_FILE", () => {
    expect(() => loadEnvFile({ ENV_FILE: "missing.env" }, directory)).toThrow(ConfigError);
    expect(() => loadEnvFile({ ENV_FILE: "missing.env" }, directory)).toThrow(/^ENV_FILE must be a file path, or empty to read no file: "missing.env" does not exist$/);
  });

  it("reads the default .env when there is one, and nothing when ENV_FILE is empty", () => {
    const name = `IDCGW_ENV_FILE_TEST_${process.pid}`;
    writeFileSync(join(directory, ".env"), `${name}=from-the-file\n`);
    try {
      expect(loadEnvFile({ ENV_FILE: "" }, directory)).toBeUndefined();
      expect(process.env[name]).toBeUndefined();
      expect(loadEnvFile({ ENV_FILE: ".env" }, directory)).toBe(join(directory, ".env"));
      expect(process.env[name]).toBe("from-the-file");
    } finally {
      delete process.env[name];
      rmSync(join(directory, ".env"));
    }
  });
});
