import { describe, expect, it } from 'vitest';
import { retryAfterMs } from '../../functions/connectors/koha/http.ts';
import { nextPage, nextPageFromLink } from '../../functions/connectors/koha/pagination.ts';

const link = (page: number, rel: string) =>
  `<https://koha.example.org/api/v1/checkouts?_page=${page}&_per_page=10>; rel="${rel}"`;

describe("Koha's pagination and Retry-After headers (R19)", () => {
  it('R19: the next page comes from the Link header, only its page number taken', () => {
    expect(nextPageFromLink(null)).toBeUndefined();
    expect(nextPageFromLink([link(1, 'first'), link(1, 'prev'), link(3, 'next'), link(9, 'last')].join(', '))).toBe(3);
    expect(nextPageFromLink([link(1, 'first'), link(9, 'last')].join(', '))).toBeNull();
    expect(nextPage(new Headers({ link: link(3, 'next') }), 2, 10, 10)).toBe(3);
    // A link that goes backwards ends the read instead of looping.
    expect(nextPage(new Headers({ link: link(2, 'next') }), 2, 10, 10)).toBeNull();
  });

  it('R19: without a Link header, X-Total-Count decides; without either, a short page is the last', () => {
    expect(nextPage(new Headers({ 'x-total-count': '25' }), 2, 10, 10)).toBe(3);
    expect(nextPage(new Headers({ 'x-total-count': '25' }), 3, 10, 5)).toBeNull();
    expect(nextPage(new Headers(), 1, 10, 10)).toBe(2);
    expect(nextPage(new Headers(), 2, 10, 4)).toBeNull();
  });

  it('R19: Retry-After is read as seconds or as an HTTP date', () => {
    const now = Date.UTC(2026, 0, 12, 9, 0, 0);
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs(new Date(now + 5_000).toUTCString(), now)).toBe(5_000);
    expect(retryAfterMs(new Date(now - 5_000).toUTCString(), now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});
