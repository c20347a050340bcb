import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CHAIN_BREAKS,
  chainMessage,
  GENESIS_HASH,
  latestHeads,
  verifyChain,
  type AuditEvent,
  type ChainHead,
} from '../../functions/domain/audit.ts';
import { LocalAuditKey } from '../../local/audit-key.ts';
import { chainOf, checkUnder, resign } from '../support/audit-chain.ts';

const REQUEST_ID = '7d0c1a8e-2f4b-4c55-9a1e-3b7f0e9d2c11';
const KEY_BYTES = randomBytes(32);
const KEY = new LocalAuditKey(KEY_BYTES);

const trail = (): Promise<AuditEvent[]> =>
  chainOf(KEY, REQUEST_ID, [
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

const headOf = (events: readonly AuditEvent[]): ChainHead => {
  const last = events.at(-1) as AuditEvent;
  return { requestId: last.requestId, seq: last.seq, hash: last.hash };
};

/** A deep copy, so tampering in one test never leaks into another. */
const copy = (events: AuditEvent[]): AuditEvent[] => structuredClone(events);

describe('the keyed link (R17)', () => {
  it('R17: the link of an event is HMAC-SHA-256 of its canonical message under the key, not a plain hash', async () => {
    const [first] = (await trail()) as [AuditEvent];
    const { hash, ...unsigned } = first;
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).toBe(createHmac('sha256', KEY_BYTES).update(chainMessage(unsigned)).digest('hex'));
    // Anyone can compute a plain hash; without the key nobody can make this link.
    expect(await new LocalAuditKey(randomBytes(32)).mac(chainMessage(unsigned))).not.toBe(hash);
  });

  it('R17: the message does not depend on the order of keys (canonical JSON)', async () => {
    const [first] = (await trail()) as [AuditEvent];
    const { hash: _hash, ...unsigned } = first;
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
    expect(chainMessage(reordered)).toBe(chainMessage(unsigned));
  });

  it('R17: absent data is the same message as empty data', async () => {
    const [first] = (await trail()) as [AuditEvent];
    const { data: _data, hash: _hash, ...withoutData } = first;
    expect(chainMessage(withoutData)).toBe(chainMessage({ ...withoutData, data: {} }));
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
  ])('R17: the link covers %s', async (_field, change) => {
    const [first] = (await trail()) as [AuditEvent];
    const { hash: _hash, ...unsigned } = first;
    expect(chainMessage({ ...unsigned, ...change })).not.toBe(chainMessage(unsigned));
  });

  it('R17: a MAC that is not 64 hex digits never verifies (bad input)', async () => {
    const [first] = (await trail()) as [AuditEvent];
    for (const bad of ['', 'not-a-mac', first.hash.toUpperCase(), `${first.hash}00`, first.hash.slice(2)])
      expect(await KEY.verify(chainMessage(first), bad)).toBe(false);
  });
});

describe('verifyChain (R17)', () => {
  it('R17: an intact chain verifies and counts every event', async () => {
    expect(await checkUnder(KEY, await trail())).toEqual({ ok: true, count: 6 });
  });

  it('R17: an empty trail verifies with count 0', async () => {
    expect(verifyChain([], [])).toEqual({ ok: true, count: 0 });
  });

  it('R17: the first event must link to the genesis hash', async () => {
    const events = copy(await trail());
    expect(events[0]?.prevHash).toBe(GENESIS_HASH);
    const [first] = events as [AuditEvent];
    const forged = { ...first, prevHash: 'a'.repeat(64) };
    await resign(KEY, forged); // even re-signed with the key, it does not start at genesis
    expect(await checkUnder(KEY, [forged, ...events.slice(1)])).toMatchObject({
      ok: false,
      firstBreak: { seq: 1, reason: CHAIN_BREAKS.link },
    });
  });

  it.each([1, 2, 3, 4, 5, 6])('R17: editing the data of event %i breaks the chain at that event', async (seq) => {
    const events = copy(await trail());
    const e = events[seq - 1] as AuditEvent;
    e.data = { ...e.data, tampered: true };
    expect(await checkUnder(KEY, events)).toEqual({
      ok: false,
      count: 6,
      firstBreak: { seq, reason: CHAIN_BREAKS.mac },
    });
  });

  it('R17: editing a value inside a list in data breaks the chain', async () => {
    const events = copy(await trail());
    (events[4]?.data?.fields as string[])[0] = 'email';
    expect(await checkUnder(KEY, events)).toMatchObject({ ok: false, firstBreak: { seq: 5 } });
  });

  it('R17: removing the data of an event breaks the chain', async () => {
    const events = copy(await trail());
    delete (events[1] as AuditEvent).data;
    expect(await checkUnder(KEY, events)).toMatchObject({
      ok: false,
      firstBreak: { seq: 2, reason: CHAIN_BREAKS.mac },
    });
  });

  it('R17: editing the type of an event breaks the chain at that event', async () => {
    const events = copy(await trail());
    (events[2] as AuditEvent).type = 'request-cancelled';
    expect(await checkUnder(KEY, events)).toMatchObject({
      ok: false,
      firstBreak: { seq: 3, reason: CHAIN_BREAKS.mac },
    });
  });

  it('R17: editing the actor of an event breaks the chain at that event', async () => {
    const events = copy(await trail());
    (events[4] as AuditEvent).actor = { kind: 'staff', id: 'someone-else@library.example', role: 'privacy-officer' };
    expect(await checkUnder(KEY, events)).toMatchObject({
      ok: false,
      firstBreak: { seq: 5, reason: CHAIN_BREAKS.mac },
    });
  });

  it('R17: editing only the role of a staff actor breaks the chain', async () => {
    const events = copy(await trail());
    (events[4] as AuditEvent).actor.role = 'director';
    expect(await checkUnder(KEY, events)).toMatchObject({ ok: false, firstBreak: { seq: 5 } });
  });

  it('R17: editing the time of an event (even by 1 ms) breaks the chain at that event', async () => {
    const events = copy(await trail());
    (events[3] as AuditEvent).at = '2026-03-01T09:03:00.001Z';
    expect(await checkUnder(KEY, events)).toMatchObject({
      ok: false,
      firstBreak: { seq: 4, reason: CHAIN_BREAKS.mac },
    });
  });

  it('R17: editing the eventId of an event breaks the chain at that event', async () => {
    const events = copy(await trail());
    (events[0] as AuditEvent).eventId = 'something-else';
    expect(await checkUnder(KEY, events)).toMatchObject({ ok: false, firstBreak: { seq: 1 } });
  });

  it('R17: an edited event given a new plain SHA-256 hash (no key) is caught at that event', async () => {
    const events = copy(await trail());
    const e = events[2] as AuditEvent;
    e.data = { channel: 'in-person' };
    e.hash = createHash('sha256').update(chainMessage(e)).digest('hex');
    expect(await checkUnder(KEY, events)).toMatchObject({
      ok: false,
      firstBreak: { seq: 3, reason: CHAIN_BREAKS.mac },
    });
  });

  it('R17: an edited event re-signed with the key still breaks the link of the next event', async () => {
    const events = copy(await trail());
    const e = events[2] as AuditEvent;
    e.data = { channel: 'in-person' };
    await resign(KEY, e);
    expect(await checkUnder(KEY, events)).toMatchObject({
      ok: false,
      firstBreak: { seq: 4, reason: CHAIN_BREAKS.link },
    });
  });

  it('R17: replacing a hash with garbage is reported', async () => {
    const events = copy(await trail());
    (events[5] as AuditEvent).hash = 'not-a-hash';
    expect(await checkUnder(KEY, events)).toMatchObject({ ok: false, firstBreak: { seq: 6 } });
  });

  it('R17: removing an event in the middle is reported as a sequence gap', async () => {
    const events = copy(await trail());
    events.splice(2, 1);
    expect(await checkUnder(KEY, events)).toEqual({
      ok: false,
      count: 5,
      firstBreak: { seq: 4, reason: CHAIN_BREAKS.gap },
    });
  });

  it('R17: removing the first event is reported', async () => {
    const events = copy(await trail()).slice(1);
    expect(await checkUnder(KEY, events)).toMatchObject({
      ok: false,
      firstBreak: { seq: 2, reason: CHAIN_BREAKS.gap },
    });
  });

  it('R17: removing an event and renumbering the rest is still caught by the links', async () => {
    const events = copy(await trail());
    events.splice(1, 1);
    for (const [i, e] of events.entries()) e.seq = i + 1;
    expect(await checkUnder(KEY, events)).toMatchObject({
      ok: false,
      firstBreak: { seq: 2, reason: CHAIN_BREAKS.link },
    });
  });

  it('R17: a cut-off tail is caught against the copied head: the first missing seq is named', async () => {
    const events = await trail();
    const head = headOf(events);
    expect(await checkUnder(KEY, events.slice(0, 4), head)).toEqual({
      ok: false,
      count: 4,
      firstBreak: { seq: 5, reason: CHAIN_BREAKS.truncated },
    });
  });

  it('R17: a cut-off tail is caught even when it is only the last event', async () => {
    const events = await trail();
    expect(await checkUnder(KEY, events.slice(0, 5), headOf(events))).toMatchObject({
      ok: false,
      firstBreak: { seq: 6, reason: CHAIN_BREAKS.truncated },
    });
  });

  it('R17: a whole chain deleted is caught against its copied head (from seq 1)', async () => {
    const events = await trail();
    expect(await checkUnder(KEY, [], headOf(events))).toEqual({
      ok: false,
      count: 0,
      firstBreak: { seq: 1, reason: CHAIN_BREAKS.truncated },
    });
  });

  it('R17: a chain that grew after its head was copied verifies', async () => {
    const events = await trail();
    expect(await checkUnder(KEY, events, headOf(events.slice(0, 3)))).toEqual({ ok: true, count: 6 });
    expect(await checkUnder(KEY, events, headOf(events))).toEqual({ ok: true, count: 6 });
  });

  it('R17: a tail cut and re-written by a key holder is caught: the event at the copied head differs', async () => {
    const events = await trail();
    const head = headOf(events);
    const rewritten = copy(events);
    const last = rewritten[5] as AuditEvent;
    last.data = { to: 'cancelled', notified: false, reason: null };
    await resign(KEY, last);
    expect(await checkUnder(KEY, rewritten)).toEqual({ ok: true, count: 6 }); // the chain alone cannot tell
    expect(await checkUnder(KEY, rewritten, head)).toMatchObject({
      ok: false,
      firstBreak: { seq: 6, reason: CHAIN_BREAKS.head },
    });
  });

  it('R17: checked under another key, an untouched chain is broken at its first event', async () => {
    const wrong = new LocalAuditKey(randomBytes(32));
    expect(await checkUnder(wrong, await trail())).toEqual({
      ok: false,
      count: 6,
      firstBreak: { seq: 1, reason: CHAIN_BREAKS.mac },
    });
  });

  it('R17: a MAC check that is missing counts as failed, never as passed', async () => {
    const events = await trail();
    expect(verifyChain(events, [true, true])).toMatchObject({
      ok: false,
      firstBreak: { seq: 3, reason: CHAIN_BREAKS.mac },
    });
  });

  it('R17: swapping two events is reported', async () => {
    const events = copy(await trail());
    [events[2], events[3]] = [events[3] as AuditEvent, events[2] as AuditEvent];
    expect(await checkUnder(KEY, events)).toMatchObject({
      ok: false,
      firstBreak: { seq: 4, reason: CHAIN_BREAKS.gap },
    });
  });

  it('R17: swapping two events and their seq numbers is reported', async () => {
    const events = copy(await trail());
    [events[2], events[3]] = [events[3] as AuditEvent, events[2] as AuditEvent];
    (events[2] as AuditEvent).seq = 3;
    (events[3] as AuditEvent).seq = 4;
    expect(await checkUnder(KEY, events)).toMatchObject({
      ok: false,
      firstBreak: { seq: 3, reason: CHAIN_BREAKS.link },
    });
  });

  it('R17: a duplicated event is reported', async () => {
    const events = copy(await trail());
    events.splice(3, 0, structuredClone(events[2] as AuditEvent));
    expect(await checkUnder(KEY, events)).toMatchObject({
      ok: false,
      firstBreak: { seq: 3, reason: CHAIN_BREAKS.gap },
    });
  });

  it('R17: an event from another request spliced in is reported', async () => {
    const other = (
      await chainOf(KEY, REQUEST_ID, [{ eventId: 'received', type: 'request-received', actor: { kind: 'requester' } }])
    ).map((e) => ({ ...e, requestId: 'other' }));
    const events = copy(await trail());
    events[0] = other[0] as AuditEvent;
    expect((await checkUnder(KEY, events)).ok).toBe(false);
  });

  it('R17: when several events are altered, the first break is reported', async () => {
    const events = copy(await trail());
    (events[4] as AuditEvent).type = 'forged';
    (events[1] as AuditEvent).at = '2020-01-01T00:00:00.000Z';
    events.splice(5, 1);
    expect(await checkUnder(KEY, events)).toEqual({
      ok: false,
      count: 5,
      firstBreak: { seq: 2, reason: CHAIN_BREAKS.mac },
    });
  });
});

describe('latestHeads (R17)', () => {
  it('R17: of several copies of the head of a chain, the furthest along is kept', async () => {
    const a = { requestId: 'a', seq: 3, hash: '3'.repeat(64) };
    const heads = latestHeads([
      { requestId: 'a', seq: 1, hash: '1'.repeat(64) },
      a,
      { requestId: 'a', seq: 2, hash: '2'.repeat(64) },
      { requestId: 'b', seq: 1, hash: 'b'.repeat(64) },
    ]);
    expect(heads.get('a')).toEqual(a);
    expect(heads.get('b')?.seq).toBe(1);
    expect(heads.size).toBe(2);
  });
});
