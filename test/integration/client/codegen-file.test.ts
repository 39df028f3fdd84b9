import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { generate } from "@graphql-codegen/cli";
import { describe, expect, it } from "vitest";
import codegenConfig, { CLIENT_CODEGEN_OUTPUT } from "../../../codegen.js";

const REPO_ROOT = new URL("../../../", import.meta.url);

describe("examples/client/src/generated/graphql.ts", () => {
  it("matches what `npm run codegen` generates from schema.graphql and the client's operations", async () => {
    const previousCwd = process.cwd();
    process.chdir(fileURLToPath(REPO_ROOT)); // codegen resolves the config's paths from the working directory
    let outputs: { filename: string; content: string }[];
    try {
      outputs = await generate({ ...codegenConfig, silent: true, verbose: false }, false);
    } finally {
      process.chdir(previousCwd);
    }
    expect(outputs.map((output) => output.filename)).toEqual([CLIENT_CODEGEN_OUTPUT]);
    const checkedIn = readFileSync(new URL(CLIENT_CODEGEN_OUTPUT, REPO_ROOT), "utf8");
    expect(checkedIn === outputs[0]!.content, "the generated client types are stale: run `npm run codegen` and commit the file").toBe(true);
  });

  it("types every operation the client sends with its variables and result", () => {
    const generated = readFileSync(new URL(CLIENT_CODEGEN_OUTPUT, REPO_ROOT), "utf8");
    expect(generated.match(/^export const \w+Document = /gm)?.sort()).toEqual([
      "export const CurrentSessionDocument = ",
      "export const ExchangeTokenDocument = ",
      "export const ExchangeTokenWithCredentialsDocument = ",
      "export const GatewayInfoDocument = ",
      "export const RefreshSessionDocument = ",
      "export const RefreshTokensDocument = ",
      "export const RenewCredentialsDocument = ",
      "export const SignInSessionDocument = ",
      "export const SignOutDocument = ",
      "export const SignOutEverywhereDocument = ",
    ]);
    for (const operation of ["ExchangeToken", "RefreshTokens", "ExchangeTokenWithCredentials", "RenewCredentials", "SignInSession", "RefreshSession", "SignOut", "SignOutEverywhere"]) {
      expect(generated).toContain(`as unknown as TypedDocumentString<${operation}Mutation, ${operation}MutationVariables>`);
    }
    expect(generated).toContain("as unknown as TypedDocumentString<CurrentSessionQuery, CurrentSessionQueryVariables>");
  });
});
