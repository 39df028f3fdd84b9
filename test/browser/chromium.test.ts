import { describe, expect, it } from "vitest";
import { describeNeeding } from "../support/test-dependencies.js";
import { chromiumDependency, findChromium } from "./chromium.js";

describeNeeding(chromiumDependency(), "findChromium on a machine with chromium", () => {
  it("finds Debian's chromium on this machine", () => {
    expect(findChromium()).toMatch(/chromium(-browser)?$/);
  });
});

describe("findChromium", () => {
  it("fails with how to install it when there is no chromium", () => {
    expect(() => findChromium(["/nonexistent/chromium"], ["idc-no-such-browser"])).toThrow(
      "Install it with `apt-get update && apt-get install -y chromium`",
    );
  });
});
