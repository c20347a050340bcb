import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../functions/domain/request.ts';
import { storedFields } from '../../functions/domain/tombstone.ts';
import { hashSecret } from '../../functions/domain/tokens.ts';
import { createHandler as startRetention } from '../../functions/handlers/start-retention.ts';
import { readRegistry } from '../../functions/adapters/dynamodb/hold-registry.ts';
import { recordKeys, requestKeys } from '../../functions/adapters/dynamodb/keys.ts';
import { LegalHolds } from '../../functions/adapters/dynamodb/legal-holds.ts';
import { RECORDS_TABLE, REQUESTS_TABLE } from '../../local/runtime.ts';
import { readFile } from 'node:fs/promises';
import { partitionItems, putItems } from '../support/dynalite.ts';
import { localToken } from '../support/http.ts';
import { DEMO_DATASET, startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/**
 * The daily retention run (workflows/retention.asl.json) through the real local engine, with the
 * real handlers, dynalite and its parallel Scan: R16 loan history anonymised across several
 * key-range segments and many short invocations; R13 a patron under legal hold untouched; open
 * and recent loans kept; a second run changes nothing; a failure half-way through a batch is
 * retried without duplicate copies; closed requests reduced to tombstones on time.
 */

type Item = Record<string, unknown>;
const DAY = 86_400_000;
/** Noon in New York: the run's library day is 2026-06-01, so with 365 days the cutoff day is 2025-06-01. */
const RUN_AT = Date.parse('2026-06-01T16:00:00.000Z');

const PATRONS = Array.from({ length: 12 }, (_, i) => `R${String(i + 1).padStart(3, '0')}`);
const HELD = 'R005';
const DELETING = 'R006';

/** Per patron: 4 loans past their history (one of them on the time-zone edge), 2 kept by date, 1 still out; plus a hold and a fine. */
function loansOf(patronId: string): { item: Item; past: boolean }[] {
  const loan = (id: string, returnedAt: string | null, past: boolean) => ({
    past,
    item: {
      ...recordKeys.record(patronId, 'LOAN', id),
      kind: 'LOAN',
      id,
      patronId,
      // Nothing of the loan id or the patron in what statistics keep.
      itemId: `I-${id.slice(-1)}`,
      title: `Retention title ${id.slice(-1)}`,
      branch: 'Test Branch',
      checkedOutAt: '2024-01-02T10:00:00-05:00',
      dueAt: '2024-01-23T23:59:59-05:00',
      returnedAt,
    },
  });
  return [
    loan(`${patronId}-A`, '2024-01-20T15:00:00-05:00', true),
    loan(`${patronId}-B`, '2024-11-02T09:00:00Z', true),
    loan(`${patronId}-C`, '2025-03-15', true),
    // 23:30 on May 31 in New York is June 1 in UTC: the library's day decides, so it is past.
    loan(`${patronId}-D`, '2025-05-31T23:30:00-04:00', true),
    // Exactly 365 days ago (the cutoff day itself): kept one more day.
    loan(`${patronId}-E`, '2025-06-01T12:00:00-04:00', false),
    loan(`${patronId}-F`, '2026-05-20T12:00:00-04:00', false),
    // Still on loan, however old: never unlinked (the library must recover it).
    loan(`${patronId}-G`, null, false),
  ];
}

const loansLeft = async (db: DynamoDBDocumentClient, patronId: string) =>
  (await partitionItems(db, RECORDS_TABLE, recordKeys.patronPartition(patronId)))
    .filter((i) => String(i.sk).startsWith('LOAN#'))
    .map((i) => String(i.id))
    .sort();

type RunTotals = {
  complete: boolean;
  anonymised: number;
  eligible: number;
  heldLoans: number;
  deletingLoans: number;
  invocations: number;
  segments: number;
  secretDeleted: boolean;
  tombstoned: number;
  heldRequests: number;
};

/** Starts a run through the scheduled handler and waits for it; returns its status and the finishing task's totals. */
async function runRetention(
  rt: TestRuntime,
  o: { runId: string; totalSegments?: number; pageSize?: number; pagesPerInvocation?: number },
) {
  const { executionId } = await startRetention(rt.deps)({ totalSegments: 4, pageSize: 6, pagesPerInvocation: 1, ...o });
  await rt.engine.whenDone(executionId);
  const status = await rt.engine.status(executionId);
  const finish = rt.engine.history(executionId).find((e) => e.type === 'StateExited' && e.state === 'FinishRetention');
  const result = (finish?.output as { result?: RunTotals } | undefined)?.result;
  return { executionId, status, result: result as RunTotals };
}

describe('retention run: loan history (R16, R13)', () => {
  let rt: TestRuntime;
  const failNextDelete = { armed: false, fired: 0 };

  beforeAll(async () => {
    const offset = RUN_AT - Date.now();
    rt = await startTestRuntime({
      clock: () => new Date(Date.now() + offset),
      // A Lambda that fails after writing a batch's copies and before deleting the originals.
      wrapRecordsDb: (db) => {
        const wrapped = Object.create(db) as DynamoDBDocumentClient;
        wrapped.send = ((command: { input?: { RequestItems?: Record<string, { DeleteRequest?: unknown }[]> } }) => {
          const writes = command.input?.RequestItems?.[RECORDS_TABLE];
          // A BatchWrite's requests (a BatchGet's RequestItems hold keys, not a list).
          if (failNextDelete.armed && Array.isArray(writes) && writes.some((w) => w.DeleteRequest)) {
            failNextDelete.armed = false;
            failNextDelete.fired++;
            return Promise.reject(
              Object.assign(new Error('throughput exceeded'), { name: 'ProvisionedThroughputExceededException' }),
            );
          }
          return db.send(command as never);
        }) as DynamoDBDocumentClient['send'];
        return wrapped;
      },
    });
    await putItems(
      rt.db,
      RECORDS_TABLE,
      PATRONS.flatMap((p) => [
        ...loansOf(p).map((l) => l.item),
        {
          ...recordKeys.record(p, 'HOLD', `${p}-H`),
          kind: 'HOLD',
          id: `${p}-H`,
          patronId: p,
          title: 'A hold',
          placedAt: '2023-01-01T10:00:00Z',
          status: 'fulfilled',
        },
        {
          ...recordKeys.record(p, 'FINE', `${p}-F`),
          kind: 'FINE',
          id: `${p}-F`,
          patronId: p,
          amount: 1,
          outstanding: 0,
          reason: 'late',
          createdAt: '2023-01-01T10:00:00Z',
        },
      ]),
    );
    await rt.deps.holds.place({
      holdId: 'H-retention',
      patronId: HELD,
      placedBy: 'counsel@library.example',
      nondisclosure: false,
    });
    // A deletion under way keeps its own secret in the patron's partition: it anonymises them itself.
    await rt.db.send(
      new PutCommand({
        TableName: RECORDS_TABLE,
        Item: { ...recordKeys.erasureKey(DELETING), kind: 'ERASURE_KEY', secret: 'x' },
      }),
    );
  });
  afterAll(async () => rt.cleanup());

  const pastPerPatron = loansOf('X').filter((l) => l.past).length;
  const keptIds = (p: string) =>
    loansOf(p)
      .filter((l) => !l.past)
      .map((l) => String(l.item.id))
      .sort();
  const allIds = (p: string) =>
    loansOf(p)
      .map((l) => String(l.item.id))
      .sort();
  // R16: each patron's fulfilled hold from 2023 is past the default 365 days too; the paid fine is within its 7 years.
  const pastRecordsPerPatron = pastPerPatron + 1;
  const expected = (PATRONS.length - 2) * pastRecordsPerPatron;
  const expectedLoans = (PATRONS.length - 2) * pastPerPatron;

  it('R16, R13: anonymises every returned loan past its history across several segments and pages; keeps open, recent and held ones', async () => {
    const before = (await partitionItems(rt.db, RECORDS_TABLE, recordKeys.anonymised('LOAN', '').pk)).length;
    const { status, result } = await runRetention(rt, { runId: 'first' });
    expect(status).toBe('SUCCEEDED');
    expect(result).toMatchObject({
      complete: true,
      anonymised: expected,
      heldLoans: pastRecordsPerPatron,
      deletingLoans: pastRecordsPerPatron,
      segments: 4,
      secretDeleted: true,
    });
    // Many short invocations, not one long one: the Map looped inside every segment.
    expect(result.invocations).toBeGreaterThan(4 * 3);

    for (const p of PATRONS) {
      if (p === HELD || p === DELETING) expect(await loansLeft(rt.db, p), p).toEqual(allIds(p));
      else expect(await loansLeft(rt.db, p), p).toEqual(keptIds(p));
    }
    // R16: the hold past its period is gone too; the paid fine, within its period, stays.
    expect(
      (await partitionItems(rt.db, RECORDS_TABLE, recordKeys.patronPartition('R001')))
        .map((i) => String(i.sk).split('#')[0])
        .sort(),
    ).toEqual(['FINE', 'LOAN', 'LOAN', 'LOAN']);

    const copies = await partitionItems(rt.db, RECORDS_TABLE, recordKeys.anonymised('LOAN', '').pk);
    expect(copies.length - before).toBe(expectedLoans);
    // R8's allow-list: statistics only; nothing links a copy to a patron or a loan.
    const ours = copies.filter((c) => c.branch === 'Test Branch');
    expect(ours).toHaveLength(expectedLoans);
    for (const c of ours) {
      expect(Object.keys(c).sort()).toEqual([
        'branch',
        'checkedOutOn',
        'dueOn',
        'itemId',
        'kind',
        'pk',
        'recordKind',
        'returnedOn',
        'sk',
        'title',
      ]);
      expect(JSON.stringify(c)).not.toMatch(/R0\d\d-[A-G]"|patron/i);
    }
    // The run's secret is gone: no way back from a copy to its loan.
    expect(
      (await rt.db.send(new GetCommand({ TableName: RECORDS_TABLE, Key: recordKeys.retentionKey }))).Item,
    ).toBeUndefined();
  });

  it('R16, R5: the execution carries ids, counts, dates and keys only', async () => {
    const history = rt.engine.history('local:retention:retention-first');
    const text = JSON.stringify(history);
    expect(text).not.toMatch(/Retention title|Test Branch|counsel@|"secret"/);
  });

  it('R16: a second run (and the same day again) changes nothing', async () => {
    const copies = (await partitionItems(rt.db, RECORDS_TABLE, recordKeys.anonymised('LOAN', '').pk)).length;
    const again = await runRetention(rt, { runId: 'second', totalSegments: 3, pageSize: 50, pagesPerInvocation: 0 });
    expect(again.status).toBe('SUCCEEDED');
    expect(again.result).toMatchObject({ complete: true, anonymised: 0, heldLoans: pastRecordsPerPatron });
    expect((await partitionItems(rt.db, RECORDS_TABLE, recordKeys.anonymised('LOAN', '').pk)).length).toBe(copies);
    // Same run id: the same execution, not a new run.
    const same = await startRetention(rt.deps)({ runId: 'second' });
    expect(same.executionId).toBe(again.executionId);
  });

  it('R13: once the hold is released, the next run anonymises that patron too', async () => {
    await rt.deps.holds.release(HELD, 'H-retention', 'counsel@library.example');
    const { result } = await runRetention(rt, { runId: 'after-release' });
    expect(result).toMatchObject({ anonymised: pastRecordsPerPatron, heldLoans: 0 });
    expect(await loansLeft(rt.db, HELD)).toEqual(keptIds(HELD));
  });

  it('R13: the run takes out of the legal-hold registry a patron whose hold ended over a day before, and keeps one held', async () => {
    const twoDaysBefore = new LegalHolds(rt.db, REQUESTS_TABLE, () => new Date(RUN_AT - 2 * DAY));
    const counsel = { placedBy: 'counsel@library.example', nondisclosure: false };
    await twoDaysBefore.place({ holdId: 'H-ended', patronId: 'R090', ...counsel });
    await twoDaysBefore.release('R090', 'H-ended', 'counsel@library.example');
    await twoDaysBefore.place({ holdId: 'H-still', patronId: 'R091', ...counsel });
    expect((await runRetention(rt, { runId: 'prune' })).status).toBe('SUCCEEDED');
    const { complete, patrons } = await readRegistry(rt.db, REQUESTS_TABLE);
    expect(complete).toBe(true);
    expect(patrons.has('R090')).toBe(false);
    expect(patrons.has('R091')).toBe(true);
    // Released within the day: listed still.
    expect(patrons.has(HELD)).toBe(true);
  });

  it('R16: a segment that fails after writing copies but before deleting the originals is retried without a second copy', async () => {
    const patron = 'R100';
    await putItems(
      rt.db,
      RECORDS_TABLE,
      loansOf(patron).map((l) => l.item),
    );
    const copies = (await partitionItems(rt.db, RECORDS_TABLE, recordKeys.anonymised('LOAN', '').pk)).length;
    failNextDelete.armed = true;
    const { status, result } = await runRetention(rt, { runId: 'crash', pageSize: 500, pagesPerInvocation: 0 });
    expect(failNextDelete.fired).toBe(1);
    expect(status).toBe('SUCCEEDED');
    expect(result.anonymised).toBe(pastPerPatron);
    expect(await loansLeft(rt.db, patron)).toEqual(keptIds(patron));
    expect((await partitionItems(rt.db, RECORDS_TABLE, recordKeys.anonymised('LOAN', '').pk)).length).toBe(
      copies + pastPerPatron,
    );
  });
});

describe('retention run: request tombstones (R16, R13, R17)', () => {
  let rt: TestRuntime;
  const skew = { ms: 0 };

  beforeAll(async () => {
    const offset = RUN_AT - Date.now();
    rt = await startTestRuntime({ clock: () => new Date(Date.now() + offset + skew.ms) });
  });
  afterAll(async () => rt.cleanup());

  /** A request as a workflow leaves it, closed through the store (which stamps closedAt and queues it). */
  async function closedRequest(id: string, patronId: string): Promise<RequestRecord> {
    const now = rt.deps.clock().toISOString();
    const r: RequestRecord = {
      requestId: id,
      kind: 'deletion',
      status: 'awaiting-approval',
      version: 1,
      createdAt: now,
      updatedAt: now,
      dueAt: new Date(Date.parse(now) + 30 * DAY).toISOString(),
      statusKeyHash: 'b'.repeat(64),
      patronId,
      matched: true,
      contactEmail: 'someone@example.org',
      verification: {
        method: 'in-person',
        verifiedAt: now,
        verifiedByRole: 'circulation',
        verifiedByStaffId: 'kevin@library.example',
        documentKind: 'drivers-licence',
      },
      decisions: [
        {
          step: 'deletion-plan',
          decision: 'approve',
          byStaffId: 'privacy@library.example',
          role: 'privacy-officer',
          at: now,
          reason: 'Spoke to Ms Someone on the phone',
        },
      ],
    };
    await rt.deps.requests.create(r);
    await rt.deps.audit.append(id, {
      eventId: 'received',
      type: 'request-received',
      actor: { kind: 'requester' },
      data: { kind: 'deletion' },
    });
    return rt.deps.requests.transition(id, 'completed', {
      outcome: { erased: ['personal'], anonymised: [], retained: [] },
    });
  }

  it('R16: a request closed more than tombstoneAfterDays ago becomes a tombstone; a recent one and a held patron’s stay whole (R13)', async () => {
    const old = await closedRequest('11111111-1111-4111-8111-111111111111', 'P1001');
    const held = await closedRequest('22222222-2222-4222-8222-222222222222', 'P1025');
    await rt.deps.holds.place({
      holdId: 'H-tomb',
      patronId: 'P1025',
      placedBy: 'counsel@library.example',
      nondisclosure: true,
    });
    expect(old.closedAt).toBeDefined();

    skew.ms = 60 * DAY;
    const recent = await closedRequest('33333333-3333-4333-8333-333333333333', 'P1002');
    skew.ms = 91 * DAY; // the first two closed 91 days ago, the third 31

    const { status, result } = await runRetention(rt, { runId: 'tombstones' });
    expect(status).toBe('SUCCEEDED');
    expect(result).toMatchObject({ tombstoned: 1, heldRequests: 1 });

    const t = storedFields(await rt.deps.requests.getStored(old.requestId));
    expect(t.tombstonedAt).toBeDefined();
    expect(t).toMatchObject({
      requestId: old.requestId,
      kind: 'deletion',
      status: 'completed',
      closedAt: old.closedAt,
      outcome: { erased: ['personal'] },
    });
    expect(JSON.stringify(t)).not.toMatch(/someone@example|kevin@|privacy@library|Ms Someone/);
    expect(t.decisions).toEqual([
      { step: 'deletion-plan', decision: 'approve', role: 'privacy-officer', at: old.createdAt },
    ]);
    // R17: the trail stays whole, and records the tombstoning.
    const events = await rt.deps.audit.list(old.requestId);
    expect((await rt.deps.audit.check(old.requestId)).ok).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['request-received', 'request-tombstoned']);

    expect((await rt.deps.requests.getOf(held.requestId, 'deletion')).contactEmail).toBe('someone@example.org');
    expect((await rt.deps.requests.getOf(recent.requestId, 'deletion')).contactEmail).toBe('someone@example.org');
    // The queue keeps what is not done yet, and only that.
    const queued = await rt.deps.requests.closedBefore('9999');
    expect(queued.map((q) => q.requestId).sort()).toEqual([held.requestId, recent.requestId].sort());
  });

  it('R16: the tombstoned request still answers on the status queue index (statistics) and is not tombstoned twice', async () => {
    const again = await runRetention(rt, { runId: 'tombstones-again' });
    expect(again.result).toMatchObject({ tombstoned: 0, heldRequests: 1 });
    const res = await rt.db.send(
      new QueryCommand({
        TableName: REQUESTS_TABLE,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :s',
        ExpressionAttributeValues: { ':s': requestKeys.byStatus('completed') },
      }),
    );
    expect((res.Items ?? []).map((i) => i.requestId)).toContain('11111111-1111-4111-8111-111111111111');
  });

  it('R16: a tombstone holds no id of any person and cannot be found by patron; statistics and the status page still answer', async () => {
    const dataset = JSON.parse(await readFile(DEMO_DATASET, 'utf8')) as {
      patrons: { id: string }[];
      donors: { id: string }[];
    };
    const personIds = [...dataset.patrons, ...dataset.donors].map((p) => p.id);
    const key = 'status-key-of-the-guardian';
    const deletion = await closedRequest('44444444-4444-4444-8444-444444444444', 'P1003');
    // A guardian's request names two people: the child (patronId) and the guardian who asked.
    const now = rt.deps.clock().toISOString();
    await rt.deps.requests.create({
      requestId: '55555555-5555-4555-8555-555555555555',
      kind: 'guardian-access',
      status: 'awaiting-approval',
      version: 1,
      createdAt: now,
      updatedAt: now,
      dueAt: new Date(Date.parse(now) + 30 * DAY).toISOString(),
      statusKeyHash: hashSecret(key),
      patronId: 'P1010',
      requesterPatronId: 'P1011',
      matched: true,
      guardianLink: 'linked',
      ageBand: 'consent-age',
    });
    const guardian = await rt.deps.requests.transition('55555555-5555-4555-8555-555555555555', 'completed');
    const byPatron = async (patronId: string) =>
      (
        await rt.db.send(
          new QueryCommand({
            TableName: REQUESTS_TABLE,
            IndexName: 'gsi1',
            KeyConditionExpression: 'gsi1pk = :p',
            ExpressionAttributeValues: { ':p': requestKeys.byPatron(patronId) },
          }),
        )
      ).Items?.map((i) => i.requestId) ?? [];
    // Before the run both are found by patron, so the query below can fail.
    expect(await byPatron('P1003')).toContain(deletion.requestId);
    expect(await byPatron('P1010')).toContain(guardian.requestId);

    skew.ms = 2 * 91 * DAY;
    const { status } = await runRetention(rt, { runId: 'tombstones-no-person' });
    expect(status).toBe('SUCCEEDED');

    for (const r of [deletion, guardian]) {
      const item = (
        await rt.db.send(new GetCommand({ TableName: REQUESTS_TABLE, Key: requestKeys.request(r.requestId) }))
      ).Item;
      expect(item?.tombstonedAt).toBeDefined();
      const text = JSON.stringify(item);
      for (const id of personIds) expect(text, `${r.kind} tombstone holds ${id}`).not.toContain(id);
      expect(item).not.toHaveProperty('gsi1pk');
      expect(item).not.toHaveProperty('gsi1sk');
    }
    for (const p of ['P1003', 'P1010', 'P1011']) {
      const found = await byPatron(p);
      expect(found).not.toContain(deletion.requestId);
      expect(found).not.toContain(guardian.requestId);
    }

    // The requester's status link still says how it ended.
    const page = await fetch(`${rt.baseUrl}/api/requests/${guardian.requestId}?key=${key}`);
    expect(page.status).toBe(200);
    expect(await page.json()).toMatchObject({ requestId: guardian.requestId, status: 'completed' });
    // R3: the statistics still count it (kind and status from the tombstone's status index entry).
    const officer = await localToken(rt.baseUrl, 'privacy@library.example', ['privacy-officer']);
    const stats = await fetch(`${rt.baseUrl}/api/staff/stats`, { headers: { authorization: `Bearer ${officer}` } });
    expect(stats.status).toBe(200);
    const report = (await stats.json()) as { byKind: Record<string, unknown>; byStatus: Record<string, unknown> };
    expect(report.byKind['guardian-access']).toBeDefined();
    expect(report.byStatus.completed).toBeDefined();
  });
});
