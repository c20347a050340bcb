import { randomUUID } from 'node:crypto';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHAIN_BREAKS, chainMessage, GENESIS_HASH, type AuditEventInput } from '../../functions/domain/audit.ts';
import { AuditLog } from '../../functions/adapters/dynamodb/audit.ts';
import { createDocumentClient, isConditionalCheckFailed } from '../../functions/adapters/dynamodb/client.ts';
import { requestKeys } from '../../functions/adapters/dynamodb/keys.ts';
import { testAuditKey } from '../support/audit-key.ts';
import { useDynalite } from '../support/dynalite.ts';

const TABLE = 'requests';
const CHAIN_FIELDS = ['requestId', 'seq', 'at', 'prevHash', 'hash'];
const INPUT_FIELDS = ['eventId', 'type', 'actor', 'data'];

/** A clock that moves one second each time it is read, so every event has its own time. */
function steppingClock(start = Date.parse('2026-03-01T09:00:00.000Z')) {
  let t = start;
  return () => new Date((t += 1000));
}

const event = (n: number | string, data: AuditEventInput['data'] = { step: String(n) }): AuditEventInput => ({
  eventId: `step-${n}`,
  type: 'status-changed',
  actor: { kind: 'system' },
  data,
});

describe('AuditLog against dynalite (R17)', () => {
  const dynamo = useDynalite([TABLE]);
  let db: DynamoDBDocumentClient;
  let log: AuditLog;
  let endpoint: string;
  const key = testAuditKey();

  /** The chain checked under the key, without the events. */
  const verified = async (requestId: string) => {
    const { events: _events, ...check } = await log.check(requestId);
    return check;
  };

  beforeAll(async () => {
    endpoint = dynamo.endpoint;
    db = dynamo.db;
    log = new AuditLog(db, TABLE, key, steppingClock());
  });

  it('R17: a new request starts its chain without reading it; started again, nothing is doubled; a chain already begun is appended to', async () => {
    const requestId = randomUUID();
    const first = await log.startChain(requestId, [event(1), event(2)]);
    expect(first.map((e) => [e.seq, e.eventId])).toEqual([
      [1, 'step-1'],
      [2, 'step-2'],
    ]);
    expect(first[0]?.prevHash).toBe(GENESIS_HASH);
    expect(first[1]?.prevHash).toBe(first[0]?.hash);
    // A retried start (or a write whose answer was lost): the events are recognised by id.
    const again = await log.startChain(requestId, [event(1), event(2), event(3)]);
    expect(again.map((e) => e.hash).slice(0, 2)).toEqual(first.map((e) => e.hash));
    expect((await log.list(requestId)).map((e) => e.eventId)).toEqual(['step-1', 'step-2', 'step-3']);
    expect(await verified(requestId)).toEqual({ ok: true, count: 3 });

    // Someone else's event got there first: the new ones follow it.
    const other = randomUUID();
    await log.append(other, event('x'));
    await log.startChain(other, [event(1)]);
    expect((await log.list(other)).map((e) => [e.seq, e.eventId])).toEqual([
      [1, 'step-x'],
      [2, 'step-1'],
    ]);
    expect(await verified(other)).toEqual({ ok: true, count: 2 });
  });

  it('R17: appending events chains them: seq counts up, each prevHash is the previous hash, the chain verifies', async () => {
    const requestId = randomUUID();
    const a = await log.append(requestId, event(1));
    const b = await log.append(requestId, event(2));
    const c = await log.append(requestId, event(3));

    expect([a.seq, b.seq, c.seq]).toEqual([1, 2, 3]);
    expect(a.prevHash).toBe(GENESIS_HASH);
    expect(b.prevHash).toBe(a.hash);
    expect(c.prevHash).toBe(b.hash);
    // One MAC per event, under the audit key.
    for (const e of [a, b, c]) expect(e.hash).toBe(await key.mac(chainMessage(e)));
    expect(Date.parse(a.at)).toBeLessThan(Date.parse(b.at));

    const stored = await log.list(requestId);
    expect(stored).toEqual([a, b, c]);
    expect(await verified(requestId)).toEqual({ ok: true, count: 3 });
  });

  it('R17: the chain reads back in order past nine events (seq sorts as a number, not as text)', async () => {
    const requestId = randomUUID();
    for (let i = 1; i <= 12; i++) await log.append(requestId, event(i));
    const stored = await log.list(requestId);
    expect(stored.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(await verified(requestId)).toEqual({ ok: true, count: 12 });
  });

  it('R17: each request has its own chain, starting from genesis', async () => {
    const one = randomUUID();
    const two = randomUUID();
    await log.append(one, event(1));
    await log.append(one, event(2));
    const first = await log.append(two, event(1));
    expect(first).toMatchObject({ requestId: two, seq: 1, prevHash: GENESIS_HASH });
    expect(await log.list(two)).toHaveLength(1);
    expect(await verified(one)).toEqual({ ok: true, count: 2 });
  });

  it('R17: an unknown request has an empty trail', async () => {
    expect(await log.list(randomUUID())).toEqual([]);
  });

  it('R17: appending the same eventId twice (a retried step) returns the first event and adds nothing', async () => {
    const requestId = randomUUID();
    const first = await log.append(requestId, event('verified', { method: 'email-link' }));
    const retried = await log.append(requestId, event('verified', { method: 'in-person' }));
    expect(retried).toEqual(first);
    const stored = await log.list(requestId);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.data).toEqual({ method: 'email-link' });
  });

  it('R17: a retry of an earlier step, after later events, still adds nothing', async () => {
    const requestId = randomUUID();
    const first = await log.append(requestId, event(1));
    await log.append(requestId, event(2));
    await log.append(requestId, event(3));
    expect(await log.append(requestId, event(1))).toEqual(first);
    const stored = await log.list(requestId);
    expect(stored.map((e) => e.eventId)).toEqual(['step-1', 'step-2', 'step-3']);
    expect((await log.check(requestId)).ok).toBe(true);
  });

  it('R17: concurrent appends of 10 different events all land with seq 1..10 and the chain verifies', async () => {
    const requestId = randomUUID();
    // Count lost races, to know the test really made appends collide on the same seq.
    const raced = createDocumentClient({ endpoint });
    let conflicts = 0;
    raced.middlewareStack.add(
      (next) => async (args) => {
        try {
          return await next(args);
        } catch (e) {
          if (isConditionalCheckFailed(e)) conflicts++;
          throw e;
        }
      },
      { step: 'initialize' },
    );
    const racingLog = new AuditLog(raced, TABLE, key, steppingClock());
    const inputs = Array.from({ length: 10 }, (_, i) => event(i + 1));
    const results = await Promise.all(inputs.map((input) => racingLog.append(requestId, input))).finally(() =>
      raced.destroy(),
    );
    expect(conflicts).toBeGreaterThan(0);

    expect(results.map((e) => e.seq).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const stored = await log.list(requestId);
    expect(stored.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(new Set(stored.map((e) => e.eventId))).toEqual(new Set(inputs.map((i) => i.eventId)));
    expect(await verified(requestId)).toEqual({ ok: true, count: 10 });
    // What each caller was told is what was stored.
    for (const r of results) expect(stored[r.seq - 1]).toEqual(r);
  });

  it('R17: concurrent retries of one step (same eventId) store exactly one event', async () => {
    const requestId = randomUUID();
    const results = await Promise.all(Array.from({ length: 5 }, () => log.append(requestId, event('once'))));
    const stored = await log.list(requestId);
    expect(stored).toHaveLength(1);
    for (const r of results) expect(r).toEqual(stored[0]);
  });

  it('R17: an event edited in the table afterwards is caught when the chain is verified', async () => {
    const requestId = randomUUID();
    for (let i = 1; i <= 4; i++) await log.append(requestId, event(i));
    await db.send(
      new UpdateCommand({
        TableName: TABLE,
        Key: requestKeys.audit(requestId, 3),
        UpdateExpression: 'SET #t = :t',
        ExpressionAttributeNames: { '#t': 'type' },
        ExpressionAttributeValues: { ':t': 'request-cancelled' },
      }),
    );
    expect(await verified(requestId)).toEqual({
      ok: false,
      count: 4,
      firstBreak: { seq: 3, reason: CHAIN_BREAKS.mac },
    });
  });

  it('R5/R16: the stored event is exactly the input fields plus chain fields; there is no place for personal data', async () => {
    const requestId = randomUUID();
    // A caller that tries to smuggle personal data beside the declared fields.
    const hostile = {
      ...event('received', { kind: 'access' }),
      patronEmail: 'ada@example.org',
      lastName: 'Lovelace',
    } as AuditEventInput;
    const appended = await log.append(requestId, hostile);

    expect(Object.keys(appended).sort()).toEqual([...INPUT_FIELDS, ...CHAIN_FIELDS].sort());
    const raw = await db.send(
      new GetCommand({ TableName: TABLE, Key: requestKeys.audit(requestId, 1), ConsistentRead: true }),
    );
    // The keys, and the day index the daily head copy reads (gsi1).
    expect(Object.keys(raw.Item ?? {}).sort()).toEqual(
      ['pk', 'sk', 'gsi1pk', 'gsi1sk', ...INPUT_FIELDS, ...CHAIN_FIELDS].sort(),
    );
    const text = JSON.stringify(raw.Item);
    expect(text).not.toContain('ada@example.org');
    expect(text).not.toContain('Lovelace');

    const [listed] = await log.list(requestId);
    expect(Object.keys(listed ?? {}).sort()).toEqual([...INPUT_FIELDS, ...CHAIN_FIELDS].sort());
  });

  it('R17: an event without data is stored with empty data and still verifies', async () => {
    const requestId = randomUUID();
    const e = await log.append(requestId, {
      eventId: 'cancelled',
      type: 'request-cancelled',
      actor: { kind: 'requester' },
    });
    expect(e.data).toEqual({});
    const stored = await log.list(requestId);
    expect(stored[0]?.data).toEqual({});
    expect((await log.check(requestId)).ok).toBe(true);
  });

  it('R17: data values of every allowed type (string, number, boolean, null, list) survive the round trip and verify', async () => {
    const requestId = randomUUID();
    await log.append(
      requestId,
      event('types', { s: 'x', n: 2.5, zero: 0, b: false, nil: null, list: ['personal', 'payments'], empty: [] }),
    );
    const stored = await log.list(requestId);
    expect(stored[0]?.data).toEqual({
      s: 'x',
      n: 2.5,
      zero: 0,
      b: false,
      nil: null,
      list: ['personal', 'payments'],
      empty: [],
    });
    expect((await log.check(requestId)).ok).toBe(true);
  });
});
