/**
 * The targets of a `Link` header (RFC 8288) by relation, e.g. `{ next: '/api/tickets?cursor=…' }`:
 * how a client finds a list's next and previous pages. A link with several relations
 * (`rel="next last"`) is listed under each; a missing or empty header gives `{}`.
 */
export function parseLinks(header: string | null | undefined): Record<string, string> {
  const links: Record<string, string> = {};
  for (const [, target, params] of (header ?? '').matchAll(/<([^>]*)>((?:\s*;\s*[^;,]*)*)/g)) {
    const rel = /(?:^|;)\s*rel\s*=\s*(?:"([^"]*)"|([^\s;"]+))/i.exec(params ?? '');
    for (const name of (rel?.[1] ?? rel?.[2] ?? '').split(/\s+/).filter(Boolean))
      links[name.toLowerCase()] ??= target!;
  }
  return links;
}
