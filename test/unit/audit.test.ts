import { describe, expect, it } from 'vitest';
import {
  GENESIS_HASH,
  hashEvent,
  verifyChain,
  type AuditEvent,
  type AuditEventInput,
} from '../../functions/domain/audit.ts';

const REQUEST_ID = '7d0c1a8e-2f4b-4c55-9a1e-3b7f0e9d2c11';

/** Builds a correctly chained trail from inputs, as the store does. */
function chain(inputs: AuditEventInput[], start = Date.parse('2026-03-01T09:00:00.000Z')): AuditEvent[] {
  const out: AuditEvent[] = [];
  for (const [i, input] of inputs.entries()) {
    const unsigned = {
      requestId: REQUEST_ID,
      seq: i + 1,
      at: new Date(start + i * 60_000).toISOString(),
      prevHash: out.at(-1)?.hash ?? GENESIS_HASH,
      eventId: input.eventId,
      type: input.type,
      actor: input.actor,
      data: input.data ?? {},
    };
    out.push({ ...unsigned, hash: hashEvent(unsigned) });
  }
  return out;
}

const trail = (): AuditEvent[] =>
  chain([
    { eventId: 'received', type: 'request-received', actor: { kind: 'requester' }, data: { kind: 'access' } },
    { eventId: 'matched', type: 'patron-matched', actor: { kind: 'system' }, data: { patronId: 'P1001' } },
    {
      eventId: 'verification-requested:email',
      type: 'verification-requested',
      actor: { kind: 'system' },
      data: { channel: 'email' },
    },
    { eventId: 'verified', type: 'identity-verified', actor: { kind: 'patron' }, data: { method: 'email-link' } },
    {
      eventId: 'staff-read:1',
      type: 'staff-read',
      actor: { kind: 'staff', id: 'privacy@library.example', role: 'privacy-officer' },
      data: { fields: ['status', 'kind'], count: 2 },
    },
    {
      eventId: 'completed',
      type: 'status-changed',
      actor: { kind: 'system' },
      data: { to: 'completed', notified: true, reason: null },
    },
  ]);

/** A deep copy, so tampering in one test never leaks into another. */
const copy = (events: AuditEvent[]): AuditEvent[] => structuredClone(events);

describe('hashEvent (R17)', () => {
  const [first] = trail() as [AuditEvent];
  const { hash: _hash, ...unsigned } = first;

  it('R17: is a SHA-256 hex digest and is deterministic', () => {
    expect(hashEvent(unsigned)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashEvent(unsigned)).toBe(hashEvent({ ...unsigned }));
  });

  it('R17: does not depend on the order of keys (canonical JSON)', () => {
    const reordered = {
      data: { kind: 'access' },
      prevHash: unsigned.prevHash,
      at: unsigned.at,
      actor: { kind: 'requester' as const },
      type: unsigned.type,
      eventId: unsigned.eventId,
      seq: unsigned.seq,
      requestId: unsigned.requestId,
    };
    expect(hashEvent(reordered)).toBe(hashEvent(unsigned));
  });

  it('R17: treats absent data as empty data', () => {
    const { data: _data, ...withoutData } = { ...unsigned, data: {} };
    expect(hashEvent(withoutData)).toBe(hashEvent({ ...unsigned, data: {} }));
  });

  it.each([
    ['requestId', { requestId: 'another-request' }],
    ['seq', { seq: 2 }],
    ['eventId', { eventId: 'received-2' }],
    ['type', { type: 'request-cancelled' }],
    ['actor', { actor: { kind: 'staff' as const, id: 'x@library.example' } }],
    ['at', { at: '2026-03-01T09:00:00.001Z' }],
    ['data', { data: { kind: 'export' } }],
    ['prevHash', { prevHash: 'f'.repeat(64) }],
  ])('R17: covers %s', (_field, change) => {
    expect(hashEvent({ ...unsigned, ...change })).not.toBe(hashEvent(unsigned));
  });
});

describe('verifyChain (R17)', () => {
  it('R17: an intact chain verifies and counts every event', () => {
    expect(verifyChain(trail())).toEqual({ ok: true, count: 6 });
  });

  it('R17: an empty trail verifies with count 0', () => {
    expect(verifyChain([])).toEqual({ ok: true, count: 0 });
  });

  it('R17: the first event must link to the genesis hash', () => {
    const events = copy(trail());
    expect(events[0]?.prevHash).toBe(GENESIS_HASH);
    const [first] = events as [AuditEvent];
    const forged = { ...first, prevHash: 'a'.repeat(64) };
    const { hash: _h, ...unsigned } = forged;
    forged.hash = hashEvent(unsigned); // even re-signed, it does not start at genesis
    expect(verifyChain([forged, ...events.slice(1)])).toMatchObject({
      ok: false,
      firstBreak: { seq: 1, reason: 'link to previous event broken' },
    });
  });

  it.each([1, 2, 3, 4, 5, 6])('R17: editing the data of event %i breaks the chain at that event', (seq) => {
    const events = copy(trail());
    const e = events[seq - 1] as AuditEvent;
    e.data = { ...e.data, tampered: true };
    expect(verifyChain(events)).toEqual({
      ok: false,
      count: 6,
      firstBreak: { seq, reason: 'content does not match its hash' },
    });
  });

  it('R17: editing a value inside a list in data breaks the chain', () => {
    const events = copy(trail());
    (events[4]?.data?.fields as string[])[0] = 'email';
    expect(verifyChain(events)).toMatchObject({ ok: false, firstBreak: { seq: 5 } });
  });

  it('R17: removing the data of an event breaks the chain', () => {
    const events = copy(trail());
    delete (events[1] as AuditEvent).data;
    expect(verifyChain(events)).toMatchObject({
      ok: false,
      firstBreak: { seq: 2, reason: 'content does not match its hash' },
    });
  });

  it('R17: editing the type of an event breaks the chain at that event', () => {
    const events = copy(trail());
    (events[2] as AuditEvent).type = 'request-cancelled';
    expect(verifyChain(events)).toMatchObject({
      ok: false,
      firstBreak: { seq: 3, reason: 'content does not match its hash' },
    });
  });

  it('R17: editing the actor of an event breaks the chain at that event', () => {
    const events = copy(trail());
    (events[4] as AuditEvent).actor = { kind: 'staff', id: 'someone-else@library.example', role: 'privacy-officer' };
    expect(verifyChain(events)).toMatchObject({
      ok: false,
      firstBreak: { seq: 5, reason: 'content does not match its hash' },
    });
  });

  it('R17: editing only the role of a staff actor breaks the chain', () => {
    const events = copy(trail());
    (events[4] as AuditEvent).actor.role = 'director';
    expect(verifyChain(events)).toMatchObject({ ok: false, firstBreak: { seq: 5 } });
  });

  it('R17: editing the time of an event (even by 1 ms) breaks the chain at that event', () => {
    const events = copy(trail());
    (events[3] as AuditEvent).at = '2026-03-01T09:03:00.001Z';
    expect(verifyChain(events)).toMatchObject({
      ok: false,
      firstBreak: { seq: 4, reason: 'content does not match its hash' },
    });
  });

  it('R17: editing the eventId of an event breaks the chain at that event', () => {
    const events = copy(trail());
    (events[0] as AuditEvent).eventId = 'something-else';
    expect(verifyChain(events)).toMatchObject({ ok: false, firstBreak: { seq: 1 } });
  });

  it('R17: an edited event that is re-hashed breaks the link of the next event', () => {
    const events = copy(trail());
    const e = events[2] as AuditEvent;
    e.data = { channel: 'in-person' };
    const { hash: _h, ...unsigned } = e;
    e.hash = hashEvent(unsigned);
    expect(verifyChain(events)).toMatchObject({
      ok: false,
      firstBreak: { seq: 4, reason: 'link to previous event broken' },
    });
  });

  it('R17: replacing a hash with garbage is reported', () => {
    const events = copy(trail());
    (events[5] as AuditEvent).hash = 'not-a-hash';
    expect(verifyChain(events)).toMatchObject({ ok: false, firstBreak: { seq: 6 } });
  });

  it('R17: removing an event in the middle is reported as a sequence gap', () => {
    const events = copy(trail());
    events.splice(2, 1);
    expect(verifyChain(events)).toEqual({ ok: false, count: 5, firstBreak: { seq: 4, reason: 'sequence gap' } });
  });

  it('R17: removing the first event is reported', () => {
    const events = copy(trail()).slice(1);
    expect(verifyChain(events)).toMatchObject({ ok: false, firstBreak: { seq: 2, reason: 'sequence gap' } });
  });

  it('R17: removing an event and renumbering the rest is still caught by the links', () => {
    const events = copy(trail());
    events.splice(1, 1);
    for (const [i, e] of events.entries()) e.seq = i + 1;
    expect(verifyChain(events)).toMatchObject({
      ok: false,
      firstBreak: { seq: 2, reason: 'link to previous event broken' },
    });
  });

  it('R17: truncating the tail is not a break (the count shows it): the chain is a prefix', () => {
    // Documents the limit of a hash chain without an external anchor: compare count to the expected length.
    expect(verifyChain(trail().slice(0, 4))).toEqual({ ok: true, count: 4 });
  });

  it('R17: swapping two events is reported', () => {
    const events = copy(trail());
    [events[2], events[3]] = [events[3] as AuditEvent, events[2] as AuditEvent];
    expect(verifyChain(events)).toMatchObject({ ok: false, firstBreak: { seq: 4, reason: 'sequence gap' } });
  });

  it('R17: swapping two events and their seq numbers is reported', () => {
    const events = copy(trail());
    [events[2], events[3]] = [events[3] as AuditEvent, events[2] as AuditEvent];
    (events[2] as AuditEvent).seq = 3;
    (events[3] as AuditEvent).seq = 4;
    expect(verifyChain(events)).toMatchObject({
      ok: false,
      firstBreak: { seq: 3, reason: 'link to previous event broken' },
    });
  });

  it('R17: a duplicated event is reported', () => {
    const events = copy(trail());
    events.splice(3, 0, structuredClone(events[2] as AuditEvent));
    expect(verifyChain(events)).toMatchObject({ ok: false, firstBreak: { seq: 3, reason: 'sequence gap' } });
  });

  it('R17: an event from another request spliced in is reported', () => {
    const other = chain([{ eventId: 'received', type: 'request-received', actor: { kind: 'requester' } }]).map((e) => ({
      ...e,
      requestId: 'other',
    }));
    const events = copy(trail());
    events[0] = other[0] as AuditEvent;
    expect(verifyChain(events).ok).toBe(false);
  });

  it('R17: when several events are altered, the first break is reported', () => {
    const events = copy(trail());
    (events[4] as AuditEvent).type = 'forged';
    (events[1] as AuditEvent).at = '2020-01-01T00:00:00.000Z';
    events.splice(5, 1);
    expect(verifyChain(events)).toEqual({
      ok: false,
      count: 5,
      firstBreak: { seq: 2, reason: 'content does not match its hash' },
    });
  });
});
