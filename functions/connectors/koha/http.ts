import { ConnectorError } from '../../domain/errors.ts';
import { ConnectorTransientError } from '../port.ts';
import type { KohaSettings } from './settings.ts';

export type FetchLike = typeof fetch;

export interface KohaCall {
  /** The spec's operationId: the only thing about a call an error message names (R5). */
  op: string;
  method: 'GET' | 'PUT' | 'DELETE' | 'POST';
  /** Below the API root, e.g. `/patrons/42`. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Error statuses the caller turns into results itself (404, 409): returned, not thrown. */
  accept?: readonly number[];
}

export interface KohaAnswer {
  status: number;
  headers: Headers;
  /** Parsed JSON; undefined for an empty answer (204). */
  body: unknown;
}

export interface Transport {
  settings: KohaSettings;
  fetch: FetchLike;
  /** Milliseconds since the epoch; tests move it to expire tokens. */
  now: () => number;
}

/** `Retry-After` as seconds or an HTTP date, in milliseconds from now; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const isAbort = (e: unknown) => e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');

/** A dropped or refused connection's code (ECONNRESET, …): safe to name, it says nothing about anyone. */
function networkCode(e: unknown): string {
  const cause = e instanceof Error ? (e.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === 'string' && /^[A-Z_]{1,40}$/.test(cause.code) ? ` (${cause.code})` : '';
}

/**
 * Sends one request with a timeout and classifies every failure (ARCHITECTURE.md Faults):
 * 429, 5xx, timeouts and dropped connections are transient; 401/403, other 4xx and answers that
 * are not JSON are permanent. Messages name the system and the operation only (R5).
 */
export async function send(t: Transport, call: KohaCall, init: RequestInit): Promise<KohaAnswer> {
  const label = `system ${t.settings.systemId}: ${call.op}`;
  const url = new URL(t.settings.baseUrl + call.path);
  for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
  let res: Response;
  try {
    res = await t.fetch(url, { ...init, method: call.method, signal: AbortSignal.timeout(t.settings.timeoutMs) });
  } catch (e) {
    throw isAbort(e)
      ? new ConnectorTransientError(`${label} timed out after ${t.settings.timeoutMs} ms`)
      : new ConnectorTransientError(`${label} could not be reached${networkCode(e)}`);
  }
  const accepted = res.ok || (call.accept ?? []).includes(res.status);
  if (!accepted) {
    await res.body?.cancel().catch(() => undefined);
    const status = res.status;
    if (status === 429 || status >= 500) {
      const wait = retryAfterMs(res.headers.get('retry-after'), t.now());
      throw new ConnectorTransientError(`${label} answered ${status}`, wait);
    }
    if (status === 401 || status === 403)
      throw new ConnectorError(`${label} refused the credentials (${status})`, 'unauthorised', status);
    throw new ConnectorError(`${label} rejected the request (${status})`, 'rejected', status);
  }
  if (res.status === 204 || res.headers.get('content-length') === '0') {
    await res.body?.cancel().catch(() => undefined);
    return { status: res.status, headers: res.headers, body: undefined };
  }
  try {
    return { status: res.status, headers: res.headers, body: await res.json() };
  } catch (e) {
    if (isAbort(e)) throw new ConnectorTransientError(`${label} timed out after ${t.settings.timeoutMs} ms`);
    if (e instanceof SyntaxError) throw new ConnectorError(`${label} answered with malformed JSON`, 'malformed');
    throw new ConnectorTransientError(`${label} dropped the connection${networkCode(e)}`);
  }
}
