/**
 * The gateway's explorer: GraphiQL 5, bundled with its Monaco workers and fonts and served by the
 * gateway itself (no CDN), opened with one example tab per grant.
 */
import "./monaco-workers.js";
import "graphiql/style.css";
import "./explorer.css";
import type { GraphiQLProps } from "graphiql";
import { GraphiQL, HISTORY_PLUGIN } from "graphiql";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { AssertionToolbarButton, emulatorPlugin } from "./emulator-tools.js";
import { EXAMPLE_TABS } from "./examples.js";
import { readExplorerConfig } from "./explorer-config.js";
import { rememberTokens } from "./last-tokens.js";
import { createPageMemoryStorage, forgetPersistedExplorerState } from "./page-storage.js";

const config = readExplorerConfig();

/**
 * GraphiQL learns the operation name by parsing the editor after a debounce, so a Run right after
 * switching tabs can send the previous tab's name with the new document, which the gateway refuses
 * ("Unknown operation named …"). A document with one named operation always names itself.
 */
function withOwnOperationName<T extends { query: string; operationName?: string | null }>(params: T): T {
  const names = [...params.query.matchAll(/(?:^|[\s}])(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/g)].map((match) => match[1]);
  return names.length === 1 && names[0] !== params.operationName ? { ...params, operationName: names[0] } : params;
}

/**
 * JSON over POST to the gateway: passes Apollo's CSRF prevention (content-type application/json). The
 * explorer is served from the gateway's own origin, so in session mode (SESSION_MODE=cookie) the session
 * cookie goes along; x-idc-csrf lets the session operations run from here (it changes nothing in token mode).
 */
const fetcher: GraphiQLProps["fetcher"] = async (params, options) => {
  const response = await fetch(config.endpoint, {
    method: "POST",
    headers: { ...(options?.headers ?? {}), "content-type": "application/json", accept: "application/json", "x-idc-csrf": "1" },
    body: JSON.stringify(withOwnOperationName(params)),
  });
  const result = await response.json();
  rememberTokens(result);
  return result;
};

// Tabs, variables and history live in page memory: the variables hold assertions, codes and tokens (page-storage.ts).
forgetPersistedExplorerState();
const storage = createPageMemoryStorage();

const plugins = config.emulatorPath === null ? [HISTORY_PLUGIN] : [emulatorPlugin, HISTORY_PLUGIN];

createRoot(document.getElementById("explorer")!).render(
  <StrictMode>
    <GraphiQL fetcher={fetcher} storage={storage} defaultTabs={[...EXAMPLE_TABS]} plugins={plugins} defaultEditorToolsVisibility="variables">
      <GraphiQL.Logo>idc-token-gateway</GraphiQL.Logo>
      <GraphiQL.Toolbar>
        {({ prettify, copy, merge }) => (
          <>
            {prettify}
            {merge}
            {copy}
            <AssertionToolbarButton />
          </>
        )}
      </GraphiQL.Toolbar>
    </GraphiQL>
  </StrictMode>,
);
