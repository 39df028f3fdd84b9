import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { dependencyFrom, type TestDependency } from "../support/test-dependencies.js";

/**
 * Debian's chromium driven by playwright-core: never a downloaded browser. Flags keep it from
 * calling home (component updates, sync, background networking), so the requests a test records
 * are the page's own.
 */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

const DEBIAN_CHROMIUM_PATHS = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];
const CHROMIUM_COMMANDS = ["chromium", "chromium-browser"];

/** The chromium binary: a known Debian path, else `command -v`; throws how to install it when there is none. */
export function findChromium(paths = DEBIAN_CHROMIUM_PATHS, commands = CHROMIUM_COMMANDS): string {
  for (const candidate of paths) {
    if (existsSync(candidate)) return candidate;
  }
  try {
    const lookup = commands.map((command) => `command -v ${command}`).join(" || ");
    const found = execFileSync("sh", ["-c", lookup], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    if (found !== "") return found;
  } catch {
    // Not on PATH either: fall through to the explanation.
  }
  throw new Error(
    `The browser tests need Debian's chromium and found none (looked at ${paths.join(", ")} and for ${commands.join(", ")} on PATH). ` +
      "Install it with `apt-get update && apt-get install -y chromium` (CI's .ci/run does this); playwright's own browser download is not used.",
  );
}

/** Chromium as a test dependency: missing, with findChromium's how-to-install, where there is none. */
export function chromiumDependency(): TestDependency {
  return dependencyFrom("chromium", () => findChromium());
}

/** @param extraArgs more Chromium flags, e.g. `--host-resolver-rules` to give a test name an address */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: findChromium(), headless: true, args: [...CHROMIUM_ARGS, ...extraArgs] });
}
