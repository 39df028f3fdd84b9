/**
 * The only place in the emulator that reads `process.env` (for `npm run emulator`). Every variable
 * is validated here; a bad value throws a message naming the variable and what it accepts.
 */
import { readFileSync } from "node:fs";
import {
  DEFAULT_ACCESS_KEY_ID,
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_REGION,
  DEFAULT_SECRET_ACCESS_KEY,
  EmulatorConfigError,
  resolveEmulatorConfig,
  type EmulatorConfig,
} from "./emulator-config.js";

export interface EmulatorEnv {
  port: number;
  host: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  config: EmulatorConfig;
}

type Env = Record<string, string | undefined>;

function nonEmpty(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

function readPort(env: Env): number {
  const raw = nonEmpty(env, "EMULATOR_PORT");
  if (raw === undefined) return DEFAULT_PORT;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) {
    throw new EmulatorConfigError(`EMULATOR_PORT must be an integer from 0 to 65535, got ${JSON.stringify(raw)}`);
  }
  return port;
}

function readRegion(env: Env): string {
  const region = nonEmpty(env, "EMULATOR_REGION") ?? nonEmpty(env, "AWS_REGION") ?? DEFAULT_REGION;
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    throw new EmulatorConfigError(`EMULATOR_REGION must be an AWS region such as us-east-1, got ${JSON.stringify(region)}`);
  }
  return region;
}

function readConfigFile(path: string | undefined): EmulatorConfig {
  if (path === undefined) return resolveEmulatorConfig({});
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new EmulatorConfigError(`EMULATOR_CONFIG must name a readable JSON file, could not read ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new EmulatorConfigError(`EMULATOR_CONFIG file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return resolveEmulatorConfig(json, `EMULATOR_CONFIG (${path})`);
}

export function readEmulatorEnv(env: Env = process.env): EmulatorEnv {
  return {
    port: readPort(env),
    host: nonEmpty(env, "EMULATOR_HOST") ?? DEFAULT_HOST,
    region: readRegion(env),
    credentials: {
      accessKeyId: nonEmpty(env, "EMULATOR_ACCESS_KEY_ID") ?? DEFAULT_ACCESS_KEY_ID,
      secretAccessKey: nonEmpty(env, "EMULATOR_SECRET_ACCESS_KEY") ?? DEFAULT_SECRET_ACCESS_KEY,
    },
    config: readConfigFile(nonEmpty(env, "EMULATOR_CONFIG")),
  };
}
