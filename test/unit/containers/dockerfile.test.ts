import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PRODUCTION_HEAP_FLAGS } from "../../../bench/support/build.js";
import { buildOutputs, execForm, parseDockerfile, readRepoFile, REPO_ROOT, type Stage } from "./container-files.js";

const dockerfile = parseDockerfile(readRepoFile("Dockerfile"));
const runtime = dockerfile.stages.at(-1)!;
const args = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
const dockerignore = readRepoFile(".dockerignore").split("\n").map((line) => line.trim()).filter((line) => line !== "" && !line.startsWith("#"));

describe("Dockerfile", () => {
  it("is multi-stage: production deps, build, and a runtime stage last, all on one Node image", () => {
    expect(dockerfile.stages.map((stage) => [stage.name, stage.from])).toEqual([
      ["deps", "${NODE_IMAGE}"],
      ["build", "${NODE_IMAGE}"],
      ["runtime", "${NODE_IMAGE}"],
    ]);
  });

  it("builds on a current Node LTS line (even major, 22 or later, meeting package.json engines), slim", () => {
    const image = dockerfile.globalArgs.get("NODE_IMAGE") ?? "";
    const [, major, variant] = /^node:(\d+)-(.+)$/.exec(image) ?? [];
    const engineMinimum = Number(/>=\s*(\d+)/.exec((JSON.parse(readRepoFile("package.json")) as { engines: { node: string } }).engines.node)?.[1]);
    expect(Number(major) % 2, `${image}: LTS lines are even`).toBe(0);
    expect(Number(major)).toBeGreaterThanOrEqual(Math.max(22, engineMinimum));
    expect(variant).toMatch(/slim/);
  });

  it("runs as a non-root user in the runtime stage, set before CMD", () => {
    const keywords = runtime.instructions.map((i) => i.keyword);
    const users = args(runtime, "USER");
    expect(users).toHaveLength(1);
    expect(users[0]).not.toMatch(/^(root|0)(:|$)/);
    expect(keywords.indexOf("USER")).toBeLessThan(keywords.indexOf("CMD"));
    expect(keywords.slice(keywords.indexOf("USER")).filter((k) => k === "RUN")).toEqual([]);
  });

  it("runs in production mode on the port it exposes, with a HEALTHCHECK on /healthz", () => {
    const env = args(runtime, "ENV").join(" ");
    expect(env).toMatch(/\bNODE_ENV=production\b/);
    expect(env).toMatch(/\bPORT=4000\b/);
    expect(args(runtime, "EXPOSE")).toEqual(["4000"]);
    const [healthcheck] = args(runtime, "HEALTHCHECK");
    expect(healthcheck).toMatch(/--interval=\d+s/);
    expect(healthcheck).toMatch(/--timeout=\d+s/);
    const command = execForm(healthcheck!);
    expect(command.slice(0, 2)).toEqual(["node", "-e"]);
    expect(command[2]).toContain("/healthz");
  });

  it("runs the gateway with the heap budget the bench measures it with (NODE_OPTIONS = bench's PRODUCTION_HEAP_FLAGS)", () => {
    expect(args(runtime, "ENV")).toContain(`NODE_OPTIONS="${PRODUCTION_HEAP_FLAGS.join(" ")}"`);
  });

  it("starts dist/main.js, which `npm run build` emits (as it does dist/emulator/main.js for the emulator)", () => {
    expect(args(runtime, "CMD").map(execForm)).toEqual([["node", "dist/main.js"]]);
    const outputs = buildOutputs();
    expect(outputs).toContain("dist/main.js");
    expect(outputs).toContain("dist/emulator/main.js");
    // The build stage checks the same two files, so an image without them is never produced.
    expect(args(dockerfile.stages[1]!, "RUN").join(" ")).toContain("test -f dist/main.js && test -f dist/emulator/main.js");
  });

  it("ships package.json (its version is read at run time), production node_modules and dist only", () => {
    expect(args(runtime, "COPY")).toEqual(["package.json ./", "--from=deps /app/node_modules ./node_modules", "--from=build /app/dist ./dist"]);
    expect(args(dockerfile.stages[0]!, "RUN").join(" ")).toContain("npm ci --omit=dev");
  });

  it("copies only sources that exist and that .dockerignore lets into the build context", () => {
    const sources = dockerfile.stages
      .flatMap((stage) => args(stage, "COPY"))
      .filter((copy) => !copy.startsWith("--from="))
      .flatMap((copy) => copy.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(join(REPO_ROOT, source)), source).toBe(true);
      expect(dockerignore.filter((pattern) => pattern === source || pattern === source.split("/")[0]), source).toEqual([]);
    }
  });

  it("keeps dependencies, build output, git history and .env files out of the build context", () => {
    expect(dockerignore).toEqual(expect.arrayContaining(["node_modules", "dist", ".git", ".env", ".env.*"]));
  });
});
