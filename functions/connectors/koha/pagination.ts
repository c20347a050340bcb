/**
 * Koha's pagination: `_page`/`_per_page` in, `X-Total-Count` and a `Link` header (RFC 8288, with
 * `rel="next"` while more remain) out.
 */

/** The `_page` the `Link` header's `rel="next"` names; null when it names none; undefined without a Link header. */
export function nextPageFromLink(link: string | null): number | null | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]*)>\s*;(.*)/.exec(part.trim());
    if (!m?.[1] || !/\brel="?next"?/.test(m[2] ?? '')) continue;
    // Only the page number is taken from the link: the connector never follows a URL the system
    // hands it with credentials attached, it asks its own base URL for that page.
    const page = Number(new URL(m[1], 'http://link.invalid').searchParams.get('_page'));
    return Number.isInteger(page) && page > 0 ? page : null;
  }
  return null;
}

/** The page to ask for after `page`, or null when this one was the last. */
export function nextPage(headers: Headers, page: number, perPage: number, received: number): number | null {
  const fromLink = nextPageFromLink(headers.get('link'));
  if (fromLink !== undefined) return fromLink !== null && fromLink > page ? fromLink : null;
  const total = Number(headers.get('x-total-count'));
  if (headers.has('x-total-count') && Number.isFinite(total)) return page * perPage < total ? page + 1 : null;
  return received === perPage ? page + 1 : null;
}
