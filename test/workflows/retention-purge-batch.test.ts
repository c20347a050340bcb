import { BatchWriteCommand, DeleteCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { readRegistry } from '../../functions/adapters/dynamodb/hold-registry.ts';
import { recordKeys } from '../../functions/adapters/dynamodb/keys.ts';
import { purgeChain } from '../../functions/app/purge-expired.ts';
import { datasetToItems, parseDataset } from '../../functions/connectors/records-table/load-dataset.ts';
import { isoDateIn } from '../../functions/domain/age.ts';
import { TransientError } from '../../functions/domain/errors.ts';
import { defaultPolicy, policySchema, type Policy } from '../../functions/domain/policy.ts';
import { addDays } from '../../functions/domain/retention.ts';
import { createHandler as startRetention } from '../../functions/handlers/start-retention.ts';
import { RECORDS_TABLE, REQUESTS_TABLE } from '../../local/runtime.ts';
import { partitionItems, putItems } from '../support/dynalite.ts';
import type { TestRuntime } from '../support/runtime.ts';
import { startRuntimeWithSystems } from '../support/systems.ts';

/**
 * R16, R8, R13, R17: the purge of long-expired cards erases the records table's patrons in groups,
 * with BatchWrites across patrons (connectors/records-table/purge-batch.ts). What a group shares
 * must not weaken what one erasure guarantees: a legal hold placed while a group is written keeps
 * every patron not yet written; a crash between the copies and the originals' deletes is finished
 * by the retried step with the same copies; a crash right after a patron's profile went leaves their
 * audit event behind. Real workflow, handlers and dynalite; the table fails or a hold is placed
 * from inside a write, as a dropped connection or counsel at that moment would.
 */

type Item = Record<string, unknown>;
const RUN_AT = Date.parse('2026-06-01T16:00:00.000Z');
const TZ = 'America/New_York';
const policy: Policy = policySchema.parse({
  ...structuredClone(defaultPolicy),
  retention: { ...defaultPolicy.retention, expiredPatronAfterDays: 1000 },
});
const EXPIRED = addDays(isoDateIn(new Date(RUN_AT), TZ), -2000);
/** Loans per patron: 30, so that a group of at most 100 records holds a few patrons and a page several groups. */
const LOANS = 30;
const PATRONS = Array.from({ length: 12 }, (_, n) => ({
  id: `X-BATCH${String(n).padStart(2, '0')}`,
  cardNumber: `2123400088${String(n).padStart(4, '0')}`,
  lastName: `Batchpurge${String.fromCharCode(65 + n)}`,
}));

const dataset = parseDataset({
  library: { name: 'Purge Library', timezone: TZ },
  staff: [{ name: 'Pat Staff', email: 'pat.staff@library.example', roles: ['circulation'] }],
  patrons: PATRONS.map((p) => ({
    id: p.id,
    cardNumber: p.cardNumber,
    firstName: 'Test',
    lastName: p.lastName,
    dateOfBirth: '1970-03-04',
    email: `${p.id.toLowerCase()}@patrons.example`,
    enrolledOn: '2010-01-01',
    expiresOn: EXPIRED,
  })),
  loans: PATRONS.flatMap((p) =>
    Array.from({ length: LOANS }, (_, k) => ({
      id: `L-${p.id}-${k}`,
      patronId: p.id,
      itemId: `I-${k}`,
      title: 'An old book',
      checkedOutAt: '2026-03-02T10:00:00Z',
      dueAt: '2026-03-23T10:00:00Z',
      // Returned within the loan history's period: the run's sweep leaves them, the purge erases them.
      returnedAt: '2026-03-20T10:00:00Z',
    })),
  ),
});

const SYSTEMS = {
  systems: [
    {
      id: 'records',
      type: 'records-table',
      name: 'Privacy Desk records',
      identity: true,
      categories: ['personal', 'credentials', 'library-records', 'payments', 'donations', 'shared-content'],
    },
  ],
};

const PROFILE_SK = recordKeys.patron('').sk;
/** A delete of one of this file's patrons' loans (the demo dataset's are the sweep's). */
const deletesTestLoans = (requests: Requests) =>
  requests.some(
    (r) =>
      String(r.DeleteRequest?.Key.pk ?? '').startsWith(recordKeys.patronPartition('X-BATCH')) &&
      String(r.DeleteRequest?.Key.sk ?? '').startsWith('LOAN#'),
  );
type Requests = { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[];
/** A write's deletes and puts: a BatchWrite's, or a single DeleteItem's (the one-patron erasure deletes a profile so). */
const requestsOf = (command: unknown): Requests => {
  if (command instanceof BatchWriteCommand) return Object.values(command.input.RequestItems ?? {})[0] as Requests;
  if (command instanceof DeleteCommand) return [{ DeleteRequest: { Key: command.input.Key ?? {} } }];
  return [];
};

/** The records client with `before` (and `after`) called around every BatchWrite and DeleteItem. */
const aroundBatchWrites =
  (hooks: {
    before?: (requests: Requests) => Promise<void> | void;
    after?: (requests: Requests) => Promise<void> | void;
  }) =>
  (db: DynamoDBDocumentClient): DynamoDBDocumentClient =>
    new Proxy(db, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return async (command: unknown) => {
          const requests = requestsOf(command);
          if (requests.length > 0) await hooks.before?.(requests);
          const out = await (target.send as (c: unknown) => Promise<unknown>)(command);
          if (requests.length > 0) await hooks.after?.(requests);
          return out;
        };
      },
    });

describe('the purge of expired cards, batched across patrons (R16, R8, R13, R17)', () => {
  let rt: TestRuntime | undefined;
  afterEach(async () => {
    await rt?.cleanup();
    rt = undefined;
  });

  const start = async (wrapRecordsDb: (db: DynamoDBDocumentClient) => DynamoDBDocumentClient) => {
    const offset = RUN_AT - Date.now();
    const runtime = await startRuntimeWithSystems(SYSTEMS, {
      clock: () => new Date(Date.now() + offset),
      policy,
      wrapRecordsDb,
    });
    rt = runtime;
    await putItems(
      runtime.db,
      RECORDS_TABLE,
      datasetToItems(dataset).filter((i) => String(i.pk).startsWith(recordKeys.patronPartition(''))),
    );
    return runtime;
  };
  const run = async (runtime: TestRuntime, runId: string) => {
    const { executionId } = await startRetention(runtime.deps)({ runId, totalSegments: 1 });
    await runtime.engine.whenDone(executionId);
    return runtime.engine.status(executionId);
  };
  const partitionOf = (runtime: TestRuntime, id: string) =>
    partitionItems(runtime.db, RECORDS_TABLE, recordKeys.patronPartition(id));
  const anonymisedLoans = async (runtime: TestRuntime) =>
    (
      await runtime.db.send(
        new QueryCommand({
          TableName: RECORDS_TABLE,
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': recordKeys.anonymised('LOAN', '').pk },
        }),
      )
    ).Items ?? [];
  const eventsOf = (runtime: TestRuntime, id: string, type: string) =>
    runtime.deps.audit.list(purgeChain(id)).then((events) => events.filter((e) => e.type === type));

  it('R13: a legal hold placed while a group is being written keeps every patron of the later groups, untouched, with the legal-hold registry in use', async () => {
    let placing: Promise<unknown> | undefined;
    const runtime = await start(
      aroundBatchWrites({
        // Counsel places a hold on every test patron as the first group's originals are deleted; no
        // write of the table goes on until every hold is in place.
        before: async (requests) => {
          if (!placing && !deletesTestLoans(requests)) return;
          placing ??= Promise.all(
            PATRONS.map((p) =>
              runtime.deps.holds.place({
                holdId: `H-${p.id}`,
                patronId: p.id,
                placedBy: 'counsel@library.example',
                nondisclosure: false,
              }),
            ),
          );
          await placing;
        },
      }),
    );
    expect(await run(runtime, 'held-mid-run')).toBe('SUCCEEDED');
    expect(placing).toBeDefined();
    // The run's plan step completed the legal-hold registry: each group was checked through it.
    expect((await readRegistry(runtime.db, REQUESTS_TABLE)).complete).toBe(true);
    let purged = 0;
    let kept = 0;
    for (const p of PATRONS) {
      const items = await partitionOf(runtime, p.id);
      if ((await eventsOf(runtime, p.id, 'expired-patron-purged')).length > 0) {
        purged++;
        expect(items, `${p.id} purged: nothing left`).toEqual([]);
        continue;
      }
      kept++;
      // Kept whole: the profile and every loan, still the patron's.
      expect(items.filter((i) => i.sk === PROFILE_SK)).toHaveLength(1);
      expect(items.filter((i) => String(i.sk).startsWith('LOAN#'))).toHaveLength(LOANS);
      const [event] = await eventsOf(runtime, p.id, 'expired-patron-kept');
      expect(event?.data).toMatchObject({ patron: p.id, because: ['legal-hold'] });
    }
    // The groups under way when the hold came finished (the erasure's own tolerance: a patron's one
    // group of at most 100 records in flight; two groups are written at once); every later patron was kept.
    expect(purged).toBeGreaterThan(0);
    expect(purged * LOANS).toBeLessThanOrEqual(2 * 100);
    expect(kept).toBe(PATRONS.length - purged);
    expect(await anonymisedLoans(runtime)).toHaveLength(purged * LOANS);
  });

  it('R8: a crash between the copies and the deletes of the originals: the retried step writes the same copies, none twice', async () => {
    let crashed = false;
    const runtime = await start(
      aroundBatchWrites({
        before: (requests) => {
          if (deletesTestLoans(requests) && !crashed) {
            crashed = true;
            throw new TransientError('connection dropped');
          }
        },
      }),
    );
    expect(await run(runtime, 'crash-copies')).toBe('SUCCEEDED');
    expect(crashed).toBe(true);
    for (const p of PATRONS) {
      expect(await partitionOf(runtime, p.id), p.id).toEqual([]);
      expect(await eventsOf(runtime, p.id, 'expired-patron-purged')).toHaveLength(1);
    }
    const copies = await anonymisedLoans(runtime);
    expect(copies).toHaveLength(PATRONS.length * LOANS);
    for (const p of PATRONS) expect(JSON.stringify(copies)).not.toContain(p.id);
  });

  it('R8: a patron whose own deletion was cut short (its secret in the partition) is finished with that secret, nothing left behind', async () => {
    const runtime = await start((db) => db);
    const [first] = PATRONS;
    if (!first) throw new Error('no patron');
    await putItems(runtime.db, RECORDS_TABLE, [
      { ...recordKeys.erasureKey(first.id), kind: 'ERASURE_KEY', secret: Buffer.alloc(32, 7).toString('base64') },
    ]);
    expect(await run(runtime, 'deletion-cut-short')).toBe('SUCCEEDED');
    for (const p of PATRONS) {
      expect(await partitionOf(runtime, p.id), p.id).toEqual([]);
      expect(await eventsOf(runtime, p.id, 'expired-patron-purged'), p.id).toHaveLength(1);
    }
    expect(await anonymisedLoans(runtime)).toHaveLength(PATRONS.length * LOANS);
  });

  it('R17: a crash right after patrons’ profiles were deleted leaves each one’s purge event, once', async () => {
    let crashed = false;
    let gone: string[] = [];
    const runtime = await start(
      aroundBatchWrites({
        // The profiles' deletes reach the table, and the step dies before it returns.
        after: (requests) => {
          const profiles = requests.flatMap((r) => (r.DeleteRequest?.Key.sk === PROFILE_SK ? [r] : []));
          if (profiles.length > 0 && !crashed) {
            crashed = true;
            gone = profiles.map((r) => String(r.DeleteRequest?.Key.pk).slice(recordKeys.patronPartition('').length));
            throw new TransientError('connection dropped');
          }
        },
      }),
    );
    expect(await run(runtime, 'crash-profiles')).toBe('SUCCEEDED');
    expect(crashed).toBe(true);
    expect(gone.length).toBeGreaterThan(0);
    for (const p of PATRONS) {
      expect(await partitionOf(runtime, p.id), p.id).toEqual([]);
      expect(await eventsOf(runtime, p.id, 'expired-patron-purged'), p.id).toHaveLength(1);
    }
  });
});
