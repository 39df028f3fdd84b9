import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError } from "./config-error.js";

const DEFAULT_ENV_FILE = ".env";

/**
 * Reads the settings file before the configuration is loaded, so `npm start` honours a `.env`
 * copied from `.env.example` without a build step or `node --env-file`. Node's own loader
 * (`process.loadEnvFile`, Node ≥ 20.12) does the parsing: no dependency, and variables already set
 * in the environment keep their value (a deployment's environment beats a stray file).
 * ENV_FILE names another file (it must exist; `.env`, the default, need not), or is empty to read
 * none (the tests do that, so a developer's `.env` never leaks into them). Returns the absolute path
 * read, for the start-up log.
 */
export function loadEnvFile(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string | undefined {
  const setting = env.ENV_FILE;
  if (setting === "") return undefined;
  const path = resolve(cwd, setting ?? DEFAULT_ENV_FILE);
  if (!existsSync(path)) {
    // Unset, or naming the default itself (.env.example's `ENV_FILE=.env` uncommented, then `docker run
    // --env-file .env` into an image without one): no file, as by default. Another missing file is a mistake.
    if (path === resolve(cwd, DEFAULT_ENV_FILE)) return undefined;
    throw new ConfigError("ENV_FILE", `ENV_FILE must be a file path, or empty to read no file: ${JSON.stringify(setting)} does not exist`);
  }
  try {
    process.loadEnvFile(path);
  } catch (error) {
    throw new ConfigError("ENV_FILE", `ENV_FILE could not be read: ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return path;
}
