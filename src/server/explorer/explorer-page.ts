/**
 * The explorer's HTML: a shell that loads the bundle from the gateway itself. The
 * Content-Security-Policy makes "nothing leaves the machine" a browser-enforced rule, not a hope:
 * scripts, styles, fonts, workers and fetches may come from this origin (and data: URIs) only.
 */
export const EXPLORER_ASSETS_PATH = "/_explorer/assets";
export const EXPLORER_EMULATOR_PATH = "/_explorer/emulator";

export const EXPLORER_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  // Monaco and GraphiQL set element styles at run time.
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

export interface ExplorerPageOptions {
  /** The GraphQL endpoint path the page queries. */
  endpoint: string;
  /** True when the gateway runs the embedded emulator (the page then offers test credentials). */
  emulator: boolean;
}

export function renderExplorerPage({ endpoint, emulator }: ExplorerPageOptions): string {
  const config = { endpoint, assetsPath: EXPLORER_ASSETS_PATH, emulatorPath: emulator ? EXPLORER_EMULATOR_PATH : null };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${EXPLORER_CONTENT_SECURITY_POLICY}">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>idc-token-gateway explorer</title>
<link rel="stylesheet" href="${EXPLORER_ASSETS_PATH}/explorer.css">
<script id="explorer-config" type="application/json">${escapeForScriptBlock(JSON.stringify(config))}</script>
<script defer src="${EXPLORER_ASSETS_PATH}/explorer.js"></script>
</head>
<body>
<div id="explorer"><p style="font-family: system-ui, sans-serif; padding: 2rem">Loading the explorer… (the first view after start-up bundles it: a few seconds)</p></div>
</body>
</html>
`;
}

/** JSON inside <script> must not be able to close the element. */
function escapeForScriptBlock(json: string): string {
  return json.replace(/</g, "\\u003c");
}
