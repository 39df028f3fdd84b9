/**
 * Test credentials from the embedded emulator, one click away: a toolbar button that puts a fresh
 * JWT assertion into the variables, and an "Emulator" sidebar panel that also fetches an
 * authorization code with PKCE and copies tokens from the last response. The page talks only to
 * the gateway's own /_explorer/emulator routes, which exist only in embedded mode.
 */
import { ToolbarButton, useGraphiQL, type GraphiQLPlugin } from "@graphiql/react";
import { useState, type ReactElement } from "react";
import { readExplorerConfig } from "./explorer-config.js";
import { latestTokens } from "./last-tokens.js";

const { emulatorPath } = readExplorerConfig();

type Variables = Record<string, unknown>;

async function callEmulatorRoute<T>(route: string, body: object): Promise<T> {
  if (emulatorPath === null) throw new Error("no embedded emulator: start the gateway without SSO_OIDC_ENDPOINT/UPSTREAM");
  const response = await fetch(`${emulatorPath}/${route}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const payload = (await response.json()) as T & { error?: string };
  if (!response.ok) throw new Error(payload.error ?? `HTTP ${response.status}`);
  return payload;
}

/** Merges `patch` into the variables editor's JSON (a broken or empty editor starts from {}). */
function useMergeVariables(): (patch: Variables) => void {
  const variableEditor = useGraphiQL((state) => state.variableEditor);
  return (patch) => {
    if (!variableEditor) return;
    let current: Variables = {};
    try {
      const parsed: unknown = JSON.parse(variableEditor.getValue() || "{}");
      if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) current = parsed as Variables;
    } catch {
      // Unparseable variables are replaced rather than blocking the helper.
    }
    variableEditor.setValue(JSON.stringify({ ...current, ...patch }, null, 2));
  };
}

function KeyIcon(): ReactElement {
  return (
    <svg viewBox="0 0 24 24" width="1em" height="1em" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden="true">
      <circle cx="8" cy="15" r="4" />
      <path d="M11 12l9-9M17 6l3 3M14 9l2 2" />
    </svg>
  );
}

/** Toolbar button: a fresh assertion for "alice" into the variables (the JWT_BEARER example uses $assertion). */
export function AssertionToolbarButton(): ReactElement | null {
  const mergeVariables = useMergeVariables();
  const [busy, setBusy] = useState(false);
  if (emulatorPath === null) return null;
  const onClick = async () => {
    setBusy(true);
    try {
      const { assertion } = await callEmulatorRoute<{ assertion: string }>("assertion", { sub: "alice" });
      mergeVariables({ assertion });
    } catch (error) {
      window.alert(`Could not get a test assertion: ${(error as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <ToolbarButton label="Get a test assertion" onClick={() => void onClick()} disabled={busy}>
      <KeyIcon />
    </ToolbarButton>
  );
}

function EmulatorPanel(): ReactElement {
  const mergeVariables = useMergeVariables();
  const [subject, setSubject] = useState("alice");
  const [status, setStatus] = useState("");

  const run = (what: string, action: () => Promise<Variables>) => async () => {
    setStatus(`${what}…`);
    try {
      const patch = await action();
      if (Object.keys(patch).length === 0) throw new Error("nothing to copy: run an exchange first");
      mergeVariables(patch);
      setStatus(`${what}: put ${Object.keys(patch).join(", ")} into the variables`);
    } catch (error) {
      setStatus(`${what} failed: ${(error as Error).message}`);
    }
  };

  if (emulatorPath === null) {
    return <p>No embedded emulator: this gateway talks to a configured upstream, so test credentials come from your IdP.</p>;
  }
  return (
    <div className="idc-emulator-panel">
      <div className="graphiql-doc-explorer-title">Emulator</div>
      <p>Test credentials from the embedded SSO OIDC emulator. They land in the variables of the current tab.</p>
      <label>
        User (sub){" "}
        <input value={subject} onChange={(event) => setSubject(event.target.value)} aria-label="User (sub)" />
      </label>
      <div className="idc-emulator-actions">
        <button type="button" className="graphiql-button" onClick={run("JWT assertion", () => callEmulatorRoute("assertion", { sub: subject }))}>
          JWT assertion
        </button>
        <button
          type="button"
          className="graphiql-button"
          onClick={run("Authorization code (PKCE)", () => callEmulatorRoute("authorization-code", { sub: subject }))}
        >
          Authorization code (PKCE)
        </button>
        <button type="button" className="graphiql-button" onClick={run("Tokens from last exchange", async () => latestTokens())}>
          Tokens from last exchange
        </button>
      </div>
      <p role="status">{status}</p>
    </div>
  );
}

export const emulatorPlugin: GraphiQLPlugin = {
  title: "Emulator",
  icon: KeyIcon,
  content: EmulatorPanel,
};
