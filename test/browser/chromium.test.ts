import { describe, expect, it } from "vitest";
import { findChromium } from "./chromium.js";

describe("findChromium", () => {
  it("finds Debian's chromium on this machine", () => {
    expect(findChromium()).toMatch(/chromium(-browser)?$/);
  });

  it("fails with how to install it when there is no chromium", () => {
    expect(() => findChromium(["/nonexistent/chromium"], ["idc-no-such-browser"])).toThrow(
      "Install it with `apt-get update && apt-get install -y chromium`",
    );
  });
});
