/**
 * Erasure budget (ARCHITECTURE.md "Budgets"): a patron with 100,000 records is erased with memory
 * that stays flat, in time close to a plain batched delete of the same items.
 *
 *   npx tsx scripts/bench-erasure.ts [records]     (default 100000; not part of npm test)
 *
 * dynalite runs in memory in a child process, so the memory sampled here is the erasure's own
 * (the table's contents live in the child). Prints elapsed time and peak RSS / heap for:
 * seeding, collecting the facts (a plain paginated read), executeDeletionPlan, and a plain
 * paginated read + BatchWrite delete of the same number of items.
 */
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { buildDeletionPlan } from '../functions/domain/deletion-plan.ts';
import { buildDeps, createLogger } from '../functions/lib/deps.ts';
import {
  collectDeletionFacts,
  executeDeletionPlan,
  verifyErasure,
} from '../functions/connectors/records-table/erasure.ts';
import { recordKeys } from '../functions/adapters/dynamodb/keys.ts';
import { measure } from './bench-measure.ts';
import { batchWrite, countPartition, seedInBatches, withBenchTables, type Item } from './bench-support.ts';

const N = Number(process.argv[2] ?? 100_000);
const RECORDS = 'library-records';
const REQUESTS = 'requests';
const TZ = 'America/New_York';

async function seed(db: DynamoDBDocumentClient, patronId: string): Promise<void> {
  await db.send(
    new PutCommand({
      TableName: RECORDS,
      Item: {
        ...recordKeys.patron(patronId),
        gsi1pk: recordKeys.byCard(`99${patronId.replace(/\D/g, '').padStart(10, '0')}`),
        gsi1sk: 'PROFILE',
        kind: 'PATRON',
        id: patronId,
        firstName: 'Bench',
        lastName: 'Patron',
        dateOfBirth: '1980-01-01',
        securityQuestions: [],
      },
    }),
  );
  const loan = (i: number): Item => ({
    ...recordKeys.record(patronId, 'LOAN', `L${String(i).padStart(7, '0')}`),
    kind: 'LOAN',
    id: `L${i}`,
    patronId,
    itemId: `I${i % 5000}`,
    title: `A title of ordinary length, number ${i % 5000}`,
    branch: 'Main Library',
    checkedOutAt: '2024-01-10T13:00:00-05:00',
    dueAt: '2024-01-31T23:59:59-05:00',
    returnedAt: '2024-01-28T18:20:00-05:00',
  });
  await seedInBatches(db, RECORDS, N, loan);
}

/** The baseline: page through the patron's items (keys only) and BatchWrite-delete them, 25 at a time. */
async function plainDelete(db: DynamoDBDocumentClient, patronId: string): Promise<number> {
  let deleted = 0;
  let start: Item | undefined;
  do {
    const res = await db.send(
      new QueryCommand({
        TableName: RECORDS,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': recordKeys.patronPartition(patronId) },
        ProjectionExpression: 'pk, sk',
        Limit: 100,
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }),
    );
    const keys = res.Items ?? [];
    for (let i = 0; i < keys.length; i += 25) {
      await batchWrite(
        db,
        RECORDS,
        keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } })),
      );
      deleted += Math.min(25, keys.length - i);
    }
    start = res.LastEvaluatedKey;
  } while (start);
  return deleted;
}

async function main() {
  await withBenchTables([RECORDS, REQUESTS], async (db) => {
    const now = new Date();
    const { holds, recordsDb, policy } = buildDeps({
      db,
      tables: { requests: REQUESTS, records: RECORDS },
      baseUrl: 'http://localhost',
      clock: () => now,
      logger: createLogger('WARN'),
    });
    console.log(`Node ${process.version}; ${N} returned loans per patron; dynalite (memory) in a child process\n`);

    await measure('seed patron A', N, () => seed(db, 'BENCH-A'));
    const facts = await measure('collectDeletionFacts (paginated read)', N, () =>
      collectDeletionFacts(recordsDb, holds, 'BENCH-A', now, TZ, policy),
    );
    if (facts.returnedLoans !== N) throw new Error(`expected ${N} returned loans, counted ${facts.returnedLoans}`);
    const plan = buildDeletionPlan({ patronId: 'BENCH-A', now, timezone: TZ, policy, facts });
    const result = await measure('executeDeletionPlan (anonymise all)', N, () =>
      executeDeletionPlan({ ...recordsDb, patronId: 'BENCH-A', plan, holds, policy }),
    );
    const verified = await measure('verifyErasure', N, () =>
      verifyErasure({ ...recordsDb, patronId: 'BENCH-A', plan }),
    );
    const copies = await countPartition(db, RECORDS, 'ANON#LOAN');
    console.log(`  result ${JSON.stringify(result)}; verify ok=${verified.ok}; anonymised copies ${copies}\n`);
    if (!verified.ok || copies !== N || result.anonymised !== N) throw new Error('erasure incomplete');

    await measure('seed patron B', N, () => seed(db, 'BENCH-B'));
    const deleted = await measure('plain paginated read + BatchWrite delete', N, () => plainDelete(db, 'BENCH-B'));
    console.log(`  deleted ${deleted}`);
  });
}

await main();
