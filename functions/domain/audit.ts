import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';

/** Values an audit event may carry: ids, enums, counts and field names, never personal data (R5, R16). */
export type AuditValue = string | number | boolean | null | string[];

export interface AuditActor {
  kind: 'system' | 'requester' | 'patron' | 'staff' | 'counsel';
  /** Staff are named (accountability, R1); patrons and requesters only by the request. */
  id?: string;
  role?: string;
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
  prevHash: string;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/** R17: each event's hash covers its content and the previous hash, so any edit breaks the chain. */
export function hashEvent(e: Omit<AuditEvent, 'hash'>): string {
  const body = canonicalJson({
    requestId: e.requestId,
    seq: e.seq,
    eventId: e.eventId,
    type: e.type,
    actor: e.actor,
    at: e.at,
    data: e.data ?? {},
    prevHash: e.prevHash,
  });
  return createHash('sha256').update(body).digest('hex');
}

export type ChainCheck =
  { ok: true; count: number } | { ok: false; count: number; firstBreak: { seq: number; reason: string } };

/** Verifies an ordered chain: sequence, links and hashes. Reports the first break. */
export function verifyChain(events: readonly AuditEvent[]): ChainCheck {
  let prev = GENESIS_HASH;
  for (const [i, e] of events.entries()) {
    if (e.seq !== i + 1) return { ok: false, count: events.length, firstBreak: { seq: e.seq, reason: 'sequence gap' } };
    if (e.prevHash !== prev)
      return { ok: false, count: events.length, firstBreak: { seq: e.seq, reason: 'link to previous event broken' } };
    if (hashEvent(e) !== e.hash)
      return { ok: false, count: events.length, firstBreak: { seq: e.seq, reason: 'content does not match its hash' } };
    prev = e.hash;
  }
  return { ok: true, count: events.length };
}
