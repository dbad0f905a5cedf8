/**
 * A list page's neighbours as links of the client's own pages: the API's `Link` targets
 * (`/api/tickets?q=jazz&cursor=…`) keep their query (cursor, q, limit) under the page's path
 * (`/?q=jazz&cursor=…`), so every page of a list or a search has a URL that can be shared.
 */
export function pageHref(pagePath: string, apiLink: string | undefined): string | undefined {
  if (!apiLink) return undefined;
  const search = new URL(apiLink, 'http://api.invalid').search;
  return `${pagePath}${search}`;
}

/** The API path of a list page: `apiPath` with the page URL's `q` and `cursor` (a single value each). */
export function listApiPath(
  apiPath: string,
  searchParams: Record<string, string | string[] | undefined>,
  names: readonly string[],
): string {
  const query = new URLSearchParams();
  for (const name of names) {
    const value = searchParams[name];
    if (typeof value === 'string' && value !== '') query.set(name, value);
  }
  const search = query.toString();
  return search ? `${apiPath}?${search}` : apiPath;
}
