import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

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

export function findChromium(): string {
  for (const candidate of ["/usr/bin/chromium", "/usr/bin/chromium-browser"]) {
    if (existsSync(candidate)) return candidate;
  }
  try {
    const found = execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], { encoding: "utf8" }).trim();
    if (found !== "") return found;
  } catch {
    // Not on PATH either: fall through to the explanation.
  }
  throw new Error(
    "The browser tests need Debian's chromium and found none (looked for /usr/bin/chromium and `chromium` on PATH). " +
      "Install it with `apt-get update && apt-get install -y chromium` (CI's .ci/run does this); playwright's own browser download is not used.",
  );
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: findChromium(), headless: true, args: CHROMIUM_ARGS });
}
