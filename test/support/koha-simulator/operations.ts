/**
 * The simulator's answers to the Koha operations the connector uses, from its own data, as Koha
 * gives them (paths/*.yaml): pagination, per-field patron filters, and `DELETE` refusals.
 */
import type { KohaData, KohaObject } from './data.ts';
import type { Json } from './spec.ts';

export interface Answer {
  status: number;
  body?: Json | KohaObject | KohaObject[];
  headers?: Record<string, string>;
}

export interface OperationCall {
  operationId: string;
  pathParams: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  /** The request's own URL (scheme, host and port included), for the `Link` header. */
  url: URL;
}

/** Answers one operation, or undefined when the simulator does not simulate it. */
export function answerOperation(data: KohaData, call: OperationCall): Answer | undefined {
  const patronId = Number(call.pathParams.patron_id);
  const patron = data.patrons.get(patronId);
  const notFound: Answer = { status: 404, body: { error: 'Patron not found' } };
  switch (call.operationId) {
    case 'listPatrons':
      return page(call, filterPatrons([...data.patrons.values()], call.query));
    case 'getPatron':
      return patron ? { status: 200, body: patron } : notFound;
    case 'updatePatron': {
      if (!patron) return notFound;
      const { patron_id: _id, ...changes } = call.body as KohaObject;
      Object.assign(patron, changes);
      data.touch(patron);
      return { status: 200, body: patron };
    }
    case 'deletePatron': {
      if (!patron) return notFound;
      const refusal = data.refusal(patronId);
      if (refusal) return { status: 409, body: refusal };
      data.delete(patronId);
      return { status: 204 };
    }
    case 'getPatronAccount':
      return patron ? { status: 200, body: account(data, patronId) } : notFound;
    case 'listPatronDebits':
      return patron ? page(call, data.debits.get(patronId) ?? []) : notFound;
    case 'listPatronCredits':
      return patron ? page(call, data.credits.get(patronId) ?? []) : notFound;
    case 'getPatronHolds':
      return patron ? page(call, data.holds.get(patronId) ?? []) : notFound;
    case 'listCheckouts': {
      // Current checkouts by default; `checked_in=true` gives the history (old_issues) instead.
      const checkedIn = ['true', '1'].includes(call.query.get('checked_in') ?? '');
      const which = checkedIn ? data.old : data.current;
      const id = call.query.get('patron_id');
      return page(call, id === null ? [...which.values()].flat() : (which.get(Number(id)) ?? []));
    }
    default:
      return undefined;
  }
}

/** `GET /patrons/{id}/account`: the balance and outstanding lines (account_line.yaml names the type `debit_type`/`credit_type`). */
function account(data: KohaData, patronId: number): Json {
  const asLine = (field: 'debit_type' | 'credit_type') => (l: KohaObject) => {
    const { type, ...rest } = l;
    return { ...rest, [field]: type } as Json;
  };
  const debits = (data.debits.get(patronId) ?? []).filter((l) => l.amount_outstanding > 0);
  const credits = (data.credits.get(patronId) ?? []).filter((l) => l.amount_outstanding > 0);
  const total = (ls: { amount_outstanding: number }[]) => ls.reduce((s, l) => s + l.amount_outstanding, 0);
  return {
    balance: total(debits) - total(credits),
    outstanding_debits: { total: total(debits), lines: debits.map(asLine('debit_type')) },
    outstanding_credits: { total: total(credits), lines: credits.map(asLine('credit_type')) },
  };
}

/** Koha's pagination: `_page`/`_per_page` (20 by default, -1 for all), `X-Total-Count`, `Link`. */
function page(call: OperationCall, items: KohaObject[]): Answer {
  const perPageRaw = Number(call.query.get('_per_page') ?? 20);
  const perPage = perPageRaw === -1 ? Math.max(items.length, 1) : Math.max(1, perPageRaw);
  const current = Math.max(1, Number(call.query.get('_page') ?? 1));
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = (p: number, rel: string) => {
    const u = new URL(call.url);
    u.searchParams.set('_page', String(p));
    u.searchParams.set('_per_page', String(perPage));
    return `<${u.toString()}>; rel="${rel}"`;
  };
  const links = [link(1, 'first')];
  if (current > 1) links.push(link(current - 1, 'prev'));
  if (current < last) links.push(link(current + 1, 'next'));
  links.push(link(last, 'last'));
  return {
    status: 200,
    body: items.slice((current - 1) * perPage, current * perPage),
    headers: {
      'x-total-count': String(items.length),
      'x-base-total-count': String(items.length),
      link: links.join(', '),
    },
  };
}

const PATRON_FILTERS = ['cardnumber', 'surname', 'firstname', 'email', 'userid'];

/** Koha's per-field filters: case-insensitive, `_match` contains (the default), exact, starts_with, ends_with. */
function filterPatrons(patrons: KohaObject[], query: URLSearchParams): KohaObject[] {
  const how = query.get('_match') ?? 'contains';
  const matches = (value: unknown, wanted: string) => {
    const v = String(value ?? '').toLowerCase();
    const w = wanted.toLowerCase();
    if (how === 'exact') return v === w;
    if (how === 'starts_with') return v.startsWith(w);
    if (how === 'ends_with') return v.endsWith(w);
    return v.includes(w);
  };
  return patrons.filter((p) => PATRON_FILTERS.every((f) => !query.has(f) || matches(p[f], query.get(f) ?? '')));
}
