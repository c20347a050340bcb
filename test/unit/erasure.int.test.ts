import { fileURLToPath } from 'node:url';
import { BatchWriteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildDeletionPlan,
  HELD_REASON,
  patronOutcome,
  stepFor,
  type DeletionPlan,
} from '../../functions/domain/deletion-plan.ts';
import { LegalHoldError, StalePlanError } from '../../functions/domain/errors.ts';
import { defaultPolicy, policySchema } from '../../functions/domain/policy.ts';
import {
  datasetToItems,
  loadDataset,
  parseDataset,
  readDatasetFile,
} from '../../functions/connectors/records-table/load-dataset.ts';
import type { Dataset } from '../../functions/domain/dataset.ts';
import {
  anonymisedCopy,
  collectDeletionFacts,
  executeDeletionPlan,
  verifyErasure,
} from '../../functions/connectors/records-table/erasure.ts';
import { recordKeys, type RecordKind } from '../../functions/adapters/dynamodb/keys.ts';
import { LegalHolds } from '../../functions/adapters/dynamodb/legal-holds.ts';
import { LibraryRecords } from '../../functions/connectors/records-table/library-records.ts';
import { partitionItems, putItems, useDynalite } from '../support/dynalite.ts';

const DEMO_PATH = fileURLToPath(new URL('../../local/demo-dataset.json', import.meta.url));
const RECORDS = 'library-records';
const REQUESTS = 'requests';
const NY = 'America/New_York';
const NOW = new Date('2026-11-28T15:00:00Z');
const clock = () => NOW;

type Item = Record<string, unknown>;

/**
 * A db client whose `send` fails after `n` calls, as a Lambda that dies mid-way would. Calls
 * already started still complete, like requests in flight when a process stops.
 */
function crashingAfter(db: DynamoDBDocumentClient, n: number): DynamoDBDocumentClient & { calls: () => number } {
  let calls = 0;
  const wrapped = Object.create(db) as DynamoDBDocumentClient & { calls: () => number };
  wrapped.send = ((command: Parameters<DynamoDBDocumentClient['send']>[0]) => {
    calls++;
    if (calls > n) return Promise.reject(new Error('injected crash'));
    return db.send(command);
  }) as DynamoDBDocumentClient['send'];
  wrapped.calls = () => calls;
  return wrapped;
}

/** A db client that runs `hook` after each call it passes on. */
function withHook(db: DynamoDBDocumentClient, hook: (command: unknown) => Promise<void>): DynamoDBDocumentClient {
  const wrapped = Object.create(db) as DynamoDBDocumentClient;
  wrapped.send = (async (command: Parameters<DynamoDBDocumentClient['send']>[0]) => {
    const out = await db.send(command);
    await hook(command);
    return out;
  }) as DynamoDBDocumentClient['send'];
  return wrapped;
}

describe('erasure against dynalite with the demo dataset (R8, R13)', () => {
  const dynamo = useDynalite([RECORDS, REQUESTS]);
  let db: DynamoDBDocumentClient;
  let records: LibraryRecords;
  let holds: LegalHolds;
  let demo: Dataset;

  beforeAll(async () => {
    db = dynamo.db;
    demo = await readDatasetFile(DEMO_PATH);
    await loadDataset(demo, { client: db, tableName: RECORDS });
    records = new LibraryRecords(db, RECORDS);
    holds = new LegalHolds(db, REQUESTS, clock);
  });

  const deps = () => ({ db, recordsTable: RECORDS });
  const planFor = async (patronId: string): Promise<DeletionPlan> => {
    const facts = await collectDeletionFacts(deps(), holds, patronId, NOW, NY, defaultPolicy);
    return buildDeletionPlan({ patronId, now: NOW, timezone: NY, policy: defaultPolicy, facts });
  };
  const get = async (key: { pk: string; sk: string }) =>
    (await db.send(new GetCommand({ TableName: RECORDS, Key: key, ConsistentRead: true }))).Item;
  const partition = (pk: string) => partitionItems(db, RECORDS, pk);
  /** Anonymised copies of one kind whose `field` is one of `values`. */
  const anonWith = async (kind: RecordKind, field: string, values: unknown[]): Promise<Item[]> =>
    (await partition(`ANON#${kind}`)).filter((i) => values.includes(i[field]));

  /** Writes a small synthetic dataset's patrons and records (not the LIBRARY marker or staff). */
  const loadPatrons = async (d: Record<string, unknown>) => {
    const parsed = parseDataset({
      library: { name: 'Test', timezone: NY },
      staff: [{ email: 'po@library.example', name: 'PO', roles: ['privacy-officer'] }],
      ...d,
    });
    const items = datasetToItems(parsed).filter((i) => i.kind !== 'LIBRARY' && i.kind !== 'STAFF');
    await putItems(db, RECORDS, items);
  };

  const patron = (id: string, card: string, over: Record<string, unknown> = {}) => ({
    id,
    cardNumber: card,
    firstName: 'Test',
    lastName: `Patron${id}`,
    dateOfBirth: '1980-01-01',
    email: `${id.toLowerCase()}@example.org`,
    ...over,
  });

  /** A patron with history of every kind, none of it blocking: a full deletion. */
  const historyPatron = (tag: string, n: number, opts: { loans?: number; card: string }) => {
    const id = `C${tag}`;
    const guarantor = `G${tag}`;
    return {
      id,
      guarantor,
      itemIds: Array.from({ length: opts.loans ?? 12 }, (_, i) => `I-${tag}-${i}`),
      dataset: {
        patrons: [
          patron(guarantor, String(9_000_000_000 + n * 2)),
          patron(id, opts.card, {
            guarantorIds: [guarantor],
            username: `u${tag}`,
            passwordHash: 'hash',
            securityQuestions: [{ question: 'q?', answerHash: 'h' }],
          }),
        ],
        loans: Array.from({ length: opts.loans ?? 12 }, (_, i) => ({
          id: `L-${tag}-${i}`,
          patronId: id,
          itemId: `I-${tag}-${i}`,
          title: `Book ${i}`,
          branch: 'Main Library',
          checkedOutAt: '2026-01-10T13:00:00-05:00',
          dueAt: '2026-01-31T23:59:59-05:00',
          returnedAt: '2026-01-28T18:20:00-05:00',
        })),
        holds: Array.from({ length: 3 }, (_, i) => ({
          id: `H-${tag}-${i}`,
          patronId: id,
          title: `Hold ${tag} ${i}`,
          placedAt: '2026-02-01T10:00:00-05:00',
          status: 'fulfilled' as const,
        })),
        programs: [{ id: `E-${tag}`, patronId: id, title: `Program ${tag}`, date: '2026-03-01', attended: true }],
        fines: [
          {
            id: `F-${tag}`,
            patronId: id,
            amount: 1000 + n,
            outstanding: 0,
            reason: `note about ${id}`,
            createdAt: '2015-05-01T10:00:00-04:00',
          },
        ],
        donations: [
          { id: `D-${tag}`, patronId: id, amount: 2000 + n, date: '2016-01-01', campaign: `Campaign ${tag}` },
        ],
        sharedContent: [
          {
            id: `S-${tag}`,
            patronId: id,
            kind: 'review' as const,
            title: 'A review',
            text: `written by ${id}`,
            createdAt: '2026-02-02T10:00:00-05:00',
          },
        ],
      },
    };
  };

  it('R8: collects Ada’s facts as counts (P1001: an open loan, money owed, a recent paid fine and gift)', async () => {
    const facts = await collectDeletionFacts(deps(), holds, 'P1001', NOW, NY, defaultPolicy);
    expect(facts).toEqual({
      openLoans: 1,
      returnedLoans: 4,
      holds: 3,
      programs: 3,
      outstandingBalance: 1.75,
      outstandingFines: 1,
      paidFines: 1,
      paidFinesNewestDate: '2025-03-18',
      // R8: each kept record's own period; none of Ada's has ended yet.
      paidFinesPastPeriod: 0,
      donations: { count: 1, newestDate: '2026-04-22', pastPeriod: 0 },
      sharedContent: 2,
      hasCredentials: true,
      guaranteesMinor: false,
      legalHold: { active: false, nondisclosure: false },
    });
  });

  it('R8: Yuki Tanaka (P1007, only returned loans) is deleted in full: profile gone, card not found, loans anonymised without her id', async () => {
    const yuki = demo.patrons.find((p) => p.id === 'P1007');
    expect(yuki).toBeDefined();
    const plan = await planFor('P1007');
    expect(plan.mode).toBe('full');

    const result = await executeDeletionPlan({
      db,
      recordsTable: RECORDS,
      patronId: 'P1007',
      plan,
      holds,
      policy: defaultPolicy,
    });
    expect(result).toEqual({ erased: 1, anonymised: 2, deleted: 0, retained: 0 });

    expect(await records.getPatron('P1007')).toBeUndefined();
    expect(await records.findPatronByCard(yuki?.cardNumber ?? '')).toBeUndefined();
    expect(await partition('PATRON#P1007')).toEqual([]);

    const copies = await anonWith('LOAN', 'itemId', ['I30015', 'I30016']);
    expect(copies).toHaveLength(2);
    for (const c of copies) {
      expect(Object.keys(c).sort()).toEqual(
        ['branch', 'checkedOutOn', 'dueOn', 'itemId', 'kind', 'pk', 'recordKind', 'returnedOn', 'sk', 'title'].sort(),
      );
      const text = JSON.stringify(c);
      for (const linked of ['P1007', 'L2015', 'L2016', 'Tanaka', 'patronId', 'anonKey'])
        expect(text).not.toContain(linked);
    }
    expect(copies.find((c) => c.itemId === 'I30015')).toMatchObject({
      title: 'Pachinko',
      branch: 'Main Library',
      checkedOutOn: '2026-09-15',
      returnedOn: '2026-10-01',
    });

    expect(await verifyErasure({ db, recordsTable: RECORDS, patronId: 'P1007', plan })).toEqual({
      ok: true,
      remaining: [],
    });
    expect(patronOutcome(plan, { hideLegalHold: false })).toEqual({
      erased: ['personal'],
      anonymised: ['library-records'],
      retained: [],
    });

    // Running again (a retried step) changes nothing and adds no copy.
    expect(
      await executeDeletionPlan({ db, recordsTable: RECORDS, patronId: 'P1007', plan, holds, policy: defaultPolicy }),
    ).toEqual({
      erased: 0,
      anonymised: 0,
      deleted: 0,
      retained: 0,
    });
    expect(await anonWith('LOAN', 'itemId', ['I30015', 'I30016'])).toHaveLength(2);
    // A later request with her card ends quietly: nothing matches, and nothing is there to plan.
    expect(await records.findPatronByCard(yuki?.cardNumber ?? '')).toBeUndefined();
  });

  it('R8: Ada (P1001) gets a partial deletion: profile and open loan kept, login erased, history anonymised, reviews deleted, fines and gift kept', async () => {
    const plan = await planFor('P1001');
    expect(plan.mode).toBe('partial');
    expect(plan.blockers).toEqual(['items-on-loan', 'money-outstanding', 'retention-period']);

    const result = await executeDeletionPlan({
      db,
      recordsTable: RECORDS,
      patronId: 'P1001',
      plan,
      holds,
      policy: defaultPolicy,
      batchSize: 4,
    });
    expect(result).toEqual({ erased: 1, anonymised: 10, deleted: 2, retained: 5 });

    const ada = await records.findPatronByCard('21234000012345');
    expect(ada).toMatchObject({
      id: 'P1001',
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'ada@example.org',
      securityQuestions: [],
    });
    expect(ada?.username).toBeUndefined();
    expect(ada?.passwordHash).toBeUndefined();

    const left = (await partition('PATRON#P1001')).map((i) => i.sk).sort();
    expect(left).toEqual(['DONATION#D6001', 'FINE#F4001', 'FINE#F4002', 'LOAN#L2001', 'PROFILE']);
    expect(await get(recordKeys.record('P1001', 'LOAN', 'L2001'))).toMatchObject({
      patronId: 'P1001',
      itemId: 'I30001',
      returnedAt: null,
    });
    expect(await anonWith('LOAN', 'itemId', ['I30002', 'I30003', 'I30004', 'I30005'])).toHaveLength(4);
    expect(
      await anonWith('HOLD', 'title', ['The Thinking Machine', 'Klara and the Sun', 'The Alignment Problem']),
    ).toHaveLength(3);
    expect((await partition('ANON#SHARED')).length).toBe(0);

    expect(await verifyErasure({ db, recordsTable: RECORDS, patronId: 'P1001', plan })).toEqual({
      ok: true,
      remaining: [],
    });
    expect(patronOutcome(plan, { hideLegalHold: false })).toEqual({
      erased: ['credentials', 'shared-content'],
      anonymised: ['library-records'],
      retained: [
        { category: 'personal', reason: 'items-on-loan' },
        { category: 'personal', reason: 'money-outstanding' },
        { category: 'library-records', reason: 'items-on-loan' },
        { category: 'payments', reason: 'money-outstanding' },
        { category: 'payments', reason: 'retention-period' },
        { category: 'donations', reason: 'retention-period' },
      ],
    });
  });

  it('R8: the guarantor of minors’ cards (Maria Rivera, P1010) keeps her personal data and the links; her history is anonymised', async () => {
    const plan = await planFor('P1010');
    expect(plan.mode).toBe('partial');
    expect(plan.blockers).toEqual(['guarantor-of-minor']);

    await executeDeletionPlan({ db, recordsTable: RECORDS, patronId: 'P1010', plan, holds, policy: defaultPolicy });
    expect(await records.findPatronByCard('21234000011010')).toMatchObject({ id: 'P1010', lastName: 'Rivera' });
    expect((await partition('PATRON#P1010')).map((i) => i.sk).sort()).toEqual([
      'GUARANTEES#P1011',
      'GUARANTEES#P1012',
      'PROFILE',
    ]);
    expect(await anonWith('LOAN', 'itemId', ['I30021'])).toHaveLength(1);
    expect(await verifyErasure({ db, recordsTable: RECORDS, patronId: 'P1010', plan })).toEqual({
      ok: true,
      remaining: [],
    });
  });

  it('R8: a full deletion removes the guarantee links both ways and leaves nothing but unlinked copies', async () => {
    const p = historyPatron('full', 1, { card: '8000000001' });
    await loadPatrons(p.dataset);
    expect(await get(recordKeys.guarantees(p.guarantor, p.id))).toBeDefined();
    const plan = await planFor(p.id);
    expect(plan.mode).toBe('full');
    const result = await executeDeletionPlan({
      db,
      recordsTable: RECORDS,
      patronId: p.id,
      plan,
      holds,
      policy: defaultPolicy,
      batchSize: 5,
    });
    expect(result).toEqual({ erased: 2, anonymised: 18, deleted: 1, retained: 0 });
    expect(await partition(`PATRON#${p.id}`)).toEqual([]);
    expect(await get(recordKeys.guarantees(p.guarantor, p.id))).toBeUndefined();
    expect(await get(recordKeys.patron(p.guarantor))).toBeDefined();

    const fines = await anonWith('FINE', 'amount', [1001]);
    expect(fines).toEqual([expect.objectContaining({ recordKind: 'FINE', amount: 1001, createdOn: '2015-05-01' })]);
    expect(JSON.stringify(fines)).not.toContain('note about');
    expect(await anonWith('DONATION', 'campaign', ['Campaign full'])).toEqual([
      expect.objectContaining({ amount: 2001, date: '2016-01-01' }),
    ]);
    expect(await anonWith('PROGRAM', 'title', ['Program full'])).toHaveLength(1);
    expect(await verifyErasure({ db, recordsTable: RECORDS, patronId: p.id, plan })).toEqual({
      ok: true,
      remaining: [],
    });
  });

  it('R8: a crash at any point, then a re-run, finishes with every record anonymised exactly once and never half a record', async () => {
    // One clean run to learn how many calls a whole deletion takes.
    const probe = historyPatron('probe', 2, { card: '8000000002' });
    await loadPatrons(probe.dataset);
    const probePlan = await planFor(probe.id);
    const counting = crashingAfter(db, Number.MAX_SAFE_INTEGER);
    await executeDeletionPlan({
      db: counting,
      recordsTable: RECORDS,
      patronId: probe.id,
      plan: probePlan,
      holds: new LegalHolds(counting, REQUESTS, clock),
      policy: defaultPolicy,
      batchSize: 5,
    });
    const total = counting.calls();
    expect(total).toBeGreaterThan(20);

    for (let n = 1; n < total; n++) {
      const tag = `crash${n}`;
      const p = historyPatron(tag, 100 + n, { card: String(8_100_000_000 + n) });
      await loadPatrons(p.dataset);
      const plan = await planFor(p.id);
      const crashing = crashingAfter(db, n);
      await expect(
        executeDeletionPlan({
          db: crashing,
          recordsTable: RECORDS,
          patronId: p.id,
          plan,
          holds: new LegalHolds(crashing, REQUESTS, clock),
          policy: defaultPolicy,
          batchSize: 5,
        }),
      ).rejects.toThrow('injected crash');
      await new Promise((r) => setTimeout(r, 5)); // let calls already in flight land

      // Never half a record: each loan is either whole under the patron, or gone with its copy written.
      const originals = new Map(
        (await partition(`PATRON#${p.id}`)).filter((i) => String(i.sk).startsWith('LOAN#')).map((i) => [i.itemId, i]),
      );
      const copiesNow = await anonWith('LOAN', 'itemId', p.itemIds);
      for (const itemId of p.itemIds) {
        const original = originals.get(itemId);
        if (original)
          expect(original).toMatchObject({
            patronId: p.id,
            itemId,
            title: expect.any(String),
            checkedOutAt: expect.any(String),
          });
        else
          expect(
            copiesNow.filter((c) => c.itemId === itemId),
            `${tag} ${itemId}`,
          ).toHaveLength(1);
      }
      // The profile goes last: while any record remains, the resume can find the patron.
      if (originals.size > 0) expect(await get(recordKeys.patron(p.id))).toBeDefined();

      await executeDeletionPlan({
        db,
        recordsTable: RECORDS,
        patronId: p.id,
        plan,
        holds,
        policy: defaultPolicy,
        batchSize: 5,
      });
      expect(await verifyErasure({ db, recordsTable: RECORDS, patronId: p.id, plan }), tag).toEqual({
        ok: true,
        remaining: [],
      });
      expect(await partition(`PATRON#${p.id}`), tag).toEqual([]);
      const copies = await anonWith('LOAN', 'itemId', p.itemIds);
      expect(copies.map((c) => c.itemId).sort(), tag).toEqual([...p.itemIds].sort());
      expect(
        await anonWith(
          'HOLD',
          'title',
          [0, 1, 2].map((i) => `Hold ${tag} ${i}`),
        ),
        tag,
      ).toHaveLength(3);
      expect(await anonWith('FINE', 'amount', [1100 + n]), tag).toHaveLength(1);
      expect(await anonWith('DONATION', 'campaign', [`Campaign ${tag}`]), tag).toHaveLength(1);
      expect(await get(recordKeys.guarantees(p.guarantor, p.id)), tag).toBeUndefined();
    }
  });

  it('R13: a hold placed mid-way stops the run before the next batch; the remaining records are untouched until it is released', async () => {
    const p = historyPatron('held', 3, { loans: 30, card: '8000000003' });
    await loadPatrons(p.dataset);
    const plan = await planFor(p.id);
    expect(plan.mode).toBe('full');
    const original = new Map((await partition(`PATRON#${p.id}`)).map((i) => [String(i.sk), i]));

    // The hold arrives just after the second batch's deletes.
    let deleteBatches = 0;
    const racing = withHook(db, async (command) => {
      if (
        command instanceof BatchWriteCommand &&
        JSON.stringify(command.input).includes('DeleteRequest') &&
        ++deleteBatches === 2
      ) {
        await holds.place({
          holdId: 'order-1',
          patronId: p.id,
          orderId: 'CO-1',
          placedBy: 'counsel@library.example',
          nondisclosure: true,
        });
      }
    });
    await expect(
      executeDeletionPlan({
        db: racing,
        recordsTable: RECORDS,
        patronId: p.id,
        plan,
        holds,
        policy: defaultPolicy,
        batchSize: 5,
      }),
    ).rejects.toThrow(LegalHoldError);

    // Sort-key order: the donation, the fine and 3 holds were batch 1, loans 0-4 (by key) batch 2.
    const left = await partition(`PATRON#${p.id}`);
    const loans = left.filter((i) => String(i.sk).startsWith('LOAN#'));
    expect(loans).toHaveLength(30 - 5);
    // Every record not yet reached is exactly as it was (the login went before the first batch).
    for (const l of left.filter((i) => !['PROFILE', 'ERASURE#KEY'].includes(String(i.sk))))
      expect(l).toEqual(original.get(String(l.sk)));
    // The deletion's secret stays while it is unfinished, so the resume writes the same copies.
    expect(
      left
        .map((i) => String(i.sk).split('#')[0])
        .filter((k) => k !== 'LOAN')
        .sort(),
    ).toEqual(['ERASURE', 'PROFILE', 'PROGRAM', 'SHARED']);
    expect(await anonWith('LOAN', 'itemId', p.itemIds)).toHaveLength(5);
    const before = JSON.stringify(left);

    // While held, a retry touches nothing at all, and a fresh plan is blocked.
    await expect(
      executeDeletionPlan({
        db,
        recordsTable: RECORDS,
        patronId: p.id,
        plan,
        holds,
        policy: defaultPolicy,
        batchSize: 5,
      }),
    ).rejects.toThrow(LegalHoldError);
    expect(JSON.stringify(await partition(`PATRON#${p.id}`))).toBe(before);
    const heldPlan = await planFor(p.id);
    expect(heldPlan).toMatchObject({ mode: 'blocked', blockers: ['legal-hold'] });
    expect(patronOutcome(heldPlan, { hideLegalHold: true }).retained.every((r) => r.reason === HELD_REASON)).toBe(true);
    await expect(
      executeDeletionPlan({ db, recordsTable: RECORDS, patronId: p.id, plan: heldPlan, holds, policy: defaultPolicy }),
    ).rejects.toThrow(LegalHoldError);

    // Released: a blocked plan is refused as stale; a fresh one finishes the work.
    await holds.release(p.id, 'order-1', 'counsel@library.example');
    await expect(
      executeDeletionPlan({ db, recordsTable: RECORDS, patronId: p.id, plan: heldPlan, holds, policy: defaultPolicy }),
    ).rejects.toThrow(StalePlanError);
    const fresh = await planFor(p.id);
    expect(fresh.mode).toBe('full');
    await executeDeletionPlan({ db, recordsTable: RECORDS, patronId: p.id, plan: fresh, holds, policy: defaultPolicy });
    expect(await verifyErasure({ db, recordsTable: RECORDS, patronId: p.id, plan: fresh })).toEqual({
      ok: true,
      remaining: [],
    });
    expect(await partition(`PATRON#${p.id}`)).toEqual([]);
    expect(await anonWith('LOAN', 'itemId', p.itemIds)).toHaveLength(30);
  });

  it('R13: with the default batch (100 records, written four BatchWrites at a time), a hold placed while a batch is written stops the run before the next page is touched', async () => {
    const p = historyPatron('heldbig', 4, { loans: 250, card: '8000000004' });
    await loadPatrons(p.dataset);
    const plan = await planFor(p.id);
    const original = new Map((await partition(`PATRON#${p.id}`)).map((i) => [String(i.sk), i]));

    // The hold arrives as soon as the first BatchWrite of deletes has landed; the rest of that batch is in flight.
    let placed = false;
    const racing = withHook(db, async (command) => {
      if (!placed && command instanceof BatchWriteCommand && JSON.stringify(command.input).includes('DeleteRequest')) {
        placed = true;
        await holds.place({
          holdId: 'order-2',
          patronId: p.id,
          orderId: 'CO-2',
          placedBy: 'counsel@library.example',
          nondisclosure: false,
        });
      }
    });
    await expect(
      executeDeletionPlan({ db: racing, recordsTable: RECORDS, patronId: p.id, plan, holds, policy: defaultPolicy }),
    ).rejects.toThrow(LegalHoldError);

    // The first page (sort-key order: the donation, the fine, 3 holds, 95 loans) was the one batch written.
    const left = await partition(`PATRON#${p.id}`);
    const loans = left.filter((i) => String(i.sk).startsWith('LOAN#'));
    expect(loans).toHaveLength(250 - 95);
    expect(await anonWith('LOAN', 'itemId', p.itemIds)).toHaveLength(95);
    for (const l of left.filter((i) => !['PROFILE', 'ERASURE#KEY'].includes(String(i.sk))))
      expect(l).toEqual(original.get(String(l.sk)));

    await holds.release(p.id, 'order-2', 'counsel@library.example');
    const fresh = await planFor(p.id);
    await executeDeletionPlan({ db, recordsTable: RECORDS, patronId: p.id, plan: fresh, holds, policy: defaultPolicy });
    expect(await verifyErasure({ db, recordsTable: RECORDS, patronId: p.id, plan: fresh })).toEqual({
      ok: true,
      remaining: [],
    });
    expect(await anonWith('LOAN', 'itemId', p.itemIds)).toHaveLength(250);
  });

  it('R11: whether a guaranteed card is a minor’s follows policy.minors.adultAge, in the facts and again before the profile is erased', async () => {
    // A guarantor whose child is 19 on NOW: an adult at the default 18, a minor where the library sets 21.
    await loadPatrons({
      patrons: [
        patron('GA21', '8000000021'),
        patron('CA21', '8000000022', { dateOfBirth: '2007-06-01', guarantorIds: ['GA21'] }),
      ],
    });
    const at21 = policySchema.parse({ ...defaultPolicy, minors: { ...defaultPolicy.minors, adultAge: 21 } });
    expect((await collectDeletionFacts(deps(), holds, 'GA21', NOW, NY, defaultPolicy)).guaranteesMinor).toBe(false);
    expect((await collectDeletionFacts(deps(), holds, 'GA21', NOW, NY, at21)).guaranteesMinor).toBe(true);

    // A plan made at 18 erases the guarantor; run where the library's adult age is 21, it keeps her.
    const plan = await planFor('GA21');
    expect(stepFor(plan, 'personal', 'erase')).toBeDefined();
    await expect(
      executeDeletionPlan({ db, recordsTable: RECORDS, patronId: 'GA21', plan, holds, policy: at21 }),
    ).rejects.toThrow(StalePlanError);
    expect(await get(recordKeys.patron('GA21'))).toMatchObject({ id: 'GA21' });
    expect(await get(recordKeys.guarantees('GA21', 'CA21'))).toBeDefined();
  });

  it('R13: a patron already held is not touched at all', async () => {
    const p = historyPatron('held0', 4, { loans: 2, card: '8000000004' });
    await loadPatrons(p.dataset);
    const plan = await planFor(p.id);
    await holds.place({ holdId: 'order-2', patronId: p.id, placedBy: 'counsel@library.example', nondisclosure: false });
    const before = JSON.stringify(await partition(`PATRON#${p.id}`));
    await expect(
      executeDeletionPlan({ db, recordsTable: RECORDS, patronId: p.id, plan, holds, policy: defaultPolicy }),
    ).rejects.toThrow(LegalHoldError);
    expect(JSON.stringify(await partition(`PATRON#${p.id}`))).toBe(before);
    expect(before).toContain('passwordHash'); // not even the login was erased
  });

  it('R8: a plan made before an item was borrowed keeps the profile and the loan, finishes the rest, and asks for a new plan', async () => {
    const p = historyPatron('stale', 5, { loans: 3, card: '8000000005' });
    await loadPatrons(p.dataset);
    const plan = await planFor(p.id);
    expect(plan.mode).toBe('full');
    await db.send(
      new PutCommand({
        TableName: RECORDS,
        Item: {
          ...recordKeys.record(p.id, 'LOAN', 'L-new'),
          kind: 'LOAN',
          id: 'L-new',
          patronId: p.id,
          itemId: 'I-new',
          title: 'New',
          checkedOutAt: '2026-11-28T10:00:00-05:00',
          dueAt: '2026-12-19T23:59:59-05:00',
          returnedAt: null,
        },
      }),
    );
    await expect(
      executeDeletionPlan({ db, recordsTable: RECORDS, patronId: p.id, plan, holds, policy: defaultPolicy }),
    ).rejects.toThrow(StalePlanError);
    expect((await partition(`PATRON#${p.id}`)).map((i) => i.sk).sort()).toEqual(['LOAN#L-new', 'PROFILE']);
    expect((await verifyErasure({ db, recordsTable: RECORDS, patronId: p.id, plan })).remaining).toEqual([
      { category: 'personal', count: 1 },
    ]);

    const fresh = await planFor(p.id);
    expect(fresh.blockers).toEqual(['items-on-loan']);
    await executeDeletionPlan({ db, recordsTable: RECORDS, patronId: p.id, plan: fresh, holds, policy: defaultPolicy });
    expect(await verifyErasure({ db, recordsTable: RECORDS, patronId: p.id, plan: fresh })).toEqual({
      ok: true,
      remaining: [],
    });
  });

  it('R8: verifyErasure reports what is still there', async () => {
    const p = historyPatron('verify', 6, { loans: 2, card: '8000000006' });
    await loadPatrons(p.dataset);
    const plan = await planFor(p.id);
    const v = await verifyErasure({ db, recordsTable: RECORDS, patronId: p.id, plan });
    expect(v.ok).toBe(false);
    expect(v.remaining).toEqual(
      expect.arrayContaining([
        { category: 'personal', count: 1 },
        { category: 'credentials', count: 1 },
        { category: 'library-records', count: 2 + 3 + 1 },
        { category: 'payments', count: 1 },
        { category: 'donations', count: 1 },
        { category: 'shared-content', count: 1 },
      ]),
    );
  });
});

describe('anonymisedCopy (R8: no way back to the person)', () => {
  const personal = {
    pk: 'PATRON#P9',
    sk: 'X#1',
    id: 'R-1',
    patronId: 'P9',
    anonKey: 'k'.repeat(32),
    firstName: 'Ada',
    email: 'ada@example.org',
    cardNumber: '21234000012345',
    text: 'my review',
    reason: 'overdue: Ada called',
  };
  const cases: [RecordKind, Item][] = [
    [
      'LOAN',
      {
        itemId: 'I1',
        title: 'T',
        branch: 'Main',
        checkedOutAt: '2026-01-10T23:30:00-05:00',
        dueAt: '2026-01-31T23:59:59-05:00',
        returnedAt: '2026-01-28T18:20:00-05:00',
      },
    ],
    ['HOLD', { title: 'T', placedAt: '2026-02-01T10:00:00-05:00', status: 'waiting' }],
    ['PROGRAM', { title: 'T', date: '2026-03-01', attended: true }],
    ['FINE', { amount: 2.5, outstanding: 0, createdAt: '2026-03-01T10:00:00-05:00' }],
    ['DONATION', { amount: 50, date: '2026-04-22', campaign: 'Annual Fund' }],
  ];

  it.each(cases)(
    'R8: a %s copy holds only statistics: no patron id, record id, anonKey link or personal field',
    (kind, fields) => {
      const copy = anonymisedCopy(kind, 'a'.repeat(32), { ...personal, ...fields }, NY);
      expect(copy).toMatchObject({ pk: `ANON#${kind}`, sk: 'a'.repeat(32), kind: 'ANON', recordKind: kind });
      for (const key of [
        'patronId',
        'id',
        'anonKey',
        'firstName',
        'email',
        'cardNumber',
        'text',
        'reason',
        'outstanding',
      ])
        expect(copy).not.toHaveProperty(key);
      const text = JSON.stringify(copy);
      for (const value of ['P9', 'R-1', 'k'.repeat(32), 'Ada', 'ada@example.org', '21234000012345', 'my review'])
        expect(text).not.toContain(value);
    },
  );

  it('R8: times are reduced to the library’s day', () => {
    const copy = anonymisedCopy('LOAN', 'a'.repeat(32), cases[0]?.[1] ?? {}, NY);
    expect(copy).toMatchObject({ checkedOutOn: '2026-01-10', dueOn: '2026-01-31', returnedOn: '2026-01-28' });
    expect(JSON.stringify(copy)).not.toMatch(/T\d{2}:\d{2}/);
  });
});
