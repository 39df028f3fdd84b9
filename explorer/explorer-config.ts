/**
 * What the server tells the page: read from `<script id="explorer-config" type="application/json">`,
 * which the Content-Security-Policy allows because a JSON script block is data, never executed.
 */
export interface ExplorerPageConfig {
  /** The GraphQL endpoint path, e.g. "/graphql". */
  endpoint: string;
  /** Where the bundle and the Monaco workers are served, e.g. "/_explorer/assets". */
  assetsPath: string;
  /** The gateway's dev routes in front of the embedded emulator; null when there is no embedded emulator. */
  emulatorPath: string | null;
}

export function readExplorerConfig(): ExplorerPageConfig {
  const element = document.getElementById("explorer-config");
  if (element?.textContent == null) throw new Error("explorer: the page has no #explorer-config block");
  return JSON.parse(element.textContent) as ExplorerPageConfig;
}
