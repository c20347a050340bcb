import { canonicalJson } from './canonical-json.ts';

/** Values an audit event may carry: ids, enums, counts and field names, never personal data (R5, R16). */
export type AuditValue = string | number | boolean | null | string[];

export interface AuditActor {
  kind: 'system' | 'requester' | 'patron' | 'staff' | 'counsel';
  /** Staff are named (accountability, R1); patrons and requesters only by the request. */
  id?: string;
  role?: string;
  /** R12: the identity provider's stable subject of a signed-in staff member (never an email's owner alone). */
  sub?: string;
}

export interface AuditEventInput {
  /** Deterministic per step, so a retried step appends nothing new (idempotency). */
  eventId: string;
  type: string;
  actor: AuditActor;
  data?: Record<string, AuditValue>;
}

export interface AuditEvent extends AuditEventInput {
  requestId: string;
  seq: number;
  at: string;
  /** The previous event's `hash` (GENESIS_HASH for the first). */
  prevHash: string;
  /** R17: HMAC-SHA-256 of `chainMessage`, under the audit key, hex. */
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/**
 * R17: the secret key the chain is made with (a KMS HMAC key in AWS, a key file locally). Without it
 * nobody can re-make a link, so an edited event cannot be made to look right again.
 */
export interface AuditKey {
  /** HMAC-SHA-256 of the message, hex. */
  mac(message: string): Promise<string>;
  /** Whether `mac` is the message's MAC under this key (false for anything malformed). */
  verify(message: string, mac: string): Promise<boolean>;
}

/** R17: what an event's link covers: its content and the previous link, in canonical JSON. */
export function chainMessage(e: Omit<AuditEvent, 'hash'>): string {
  return canonicalJson({
    requestId: e.requestId,
    seq: e.seq,
    eventId: e.eventId,
    type: e.type,
    actor: e.actor,
    at: e.at,
    data: e.data ?? {},
    prevHash: e.prevHash,
  });
}

/**
 * R17: a chain's head as copied to write-once storage: how long the chain was and its last link.
 * Ids and a MAC only (R5).
 */
export interface ChainHead {
  requestId: string;
  seq: number;
  hash: string;
}

/**
 * R17: write-once storage of chain heads (S3 Object Lock in AWS, an append-only file locally):
 * copies are only ever added, so what was copied stays what the verifier compares against.
 */
export interface AuditHeadStore {
  /** Adds one copy of these heads, made at `at`. */
  record(heads: readonly ChainHead[], at: Date): Promise<void>;
  /** Every head ever copied (several per chain: `latestHeads` keeps the furthest). */
  all(): Promise<ChainHead[]>;
}

/** Of several copies of one chain's head, the one furthest along (a chain only grows). */
export function latestHeads(heads: Iterable<ChainHead>): Map<string, ChainHead> {
  const out = new Map<string, ChainHead>();
  for (const h of heads) {
    const seen = out.get(h.requestId);
    if (!seen || h.seq > seen.seq) out.set(h.requestId, h);
  }
  return out;
}

export type ChainCheck =
  { ok: true; count: number } | { ok: false; count: number; firstBreak: { seq: number; reason: string } };

export const CHAIN_BREAKS = {
  gap: 'sequence gap',
  link: 'link to previous event broken',
  mac: 'content does not match its MAC',
  truncated: 'chain ends before its copied head (events removed from the end)',
  head: 'event differs from its copied head',
} as const;

/**
 * R17: verifies an ordered chain (sequence, links, each event's MAC as `macValid` says) and, given
 * the chain's copied head, that nothing was cut from its end. Reports the first break.
 */
export function verifyChain(events: readonly AuditEvent[], macValid: readonly boolean[], head?: ChainHead): ChainCheck {
  const broken = (seq: number, reason: string): ChainCheck => ({
    ok: false,
    count: events.length,
    firstBreak: { seq, reason },
  });
  let prev = GENESIS_HASH;
  for (const [i, e] of events.entries()) {
    if (e.seq !== i + 1) return broken(e.seq, CHAIN_BREAKS.gap);
    if (e.prevHash !== prev) return broken(e.seq, CHAIN_BREAKS.link);
    if (macValid[i] !== true) return broken(e.seq, CHAIN_BREAKS.mac);
    prev = e.hash;
  }
  if (head) {
    if (events.length < head.seq) return broken(events.length + 1, CHAIN_BREAKS.truncated);
    if (events[head.seq - 1]?.hash !== head.hash) return broken(head.seq, CHAIN_BREAKS.head);
  }
  return { ok: true, count: events.length };
}
