import type { Page, Route } from "playwright-core";

/**
 * Makes operations started in several tabs leave the browser together: each tab's request for
 * the mutation `operationName` is held at the browser's network layer until every tab's request is there, then
 * all are released. Without this, one tab's answer could rotate the shared cookie before another
 * tab sent its request, and the test would prove sequencing instead of a race.
 */
export async function releasedTogether<T>(pages: Page[], operationName: string, start: (page: Page, index: number) => Promise<T>): Promise<T[]> {
  const held: Route[] = [];
  let releaseAll!: () => void;
  const allHeld = new Promise<void>((resolve) => (releaseAll = resolve));
  const hold = async (route: Route) => {
    const body = route.request().postData() ?? "";
    if (route.request().method() !== "POST" || !body.includes(`mutation ${operationName} `)) {
      await route.continue();
      return;
    }
    held.push(route);
    if (held.length === pages.length) releaseAll();
    await allHeld;
    await route.continue();
  };
  await Promise.all(pages.map((page) => page.route("**/graphql", hold)));
  try {
    const results = await Promise.all(pages.map((page, index) => start(page, index)));
    // Every tab's request must have been held: otherwise nothing was raced.
    if (held.length !== pages.length) throw new Error(`held ${held.length} ${operationName} requests, expected ${pages.length}`);
    return results;
  } finally {
    await Promise.all(pages.map((page) => page.unroute("**/graphql", hold)));
  }
}
