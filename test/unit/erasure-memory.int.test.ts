import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDeletionPlan, type DeletionPlan } from '../../functions/domain/deletion-plan.ts';
import type { Dataset } from '../../functions/domain/dataset.ts';
import type { Fingerprinter } from '../../functions/domain/erasure-memory.ts';
import { IntegrityError } from '../../functions/domain/errors.ts';
import { defaultPolicy } from '../../functions/domain/policy.ts';
import { loadDataset, readDatasetFile } from '../../functions/connectors/records-table/load-dataset.ts';
import { collectDeletionFacts, executeDeletionPlan } from '../../functions/connectors/records-table/erasure.ts';
import { recordKeys } from '../../functions/adapters/dynamodb/keys.ts';
import { LegalHolds } from '../../functions/adapters/dynamodb/legal-holds.ts';
import { LibraryRecords } from '../../functions/connectors/records-table/library-records.ts';
import { LocalFingerprinter } from '../../local/fingerprinter.ts';
import { useDynalite } from '../support/dynalite.ts';

const DEMO_PATH = fileURLToPath(new URL('../../local/demo-dataset.json', import.meta.url));
const RECORDS = 'library-records';
const REQUESTS = 'requests';
const NY = 'America/New_York';
const NOW = new Date('2026-11-28T15:00:00Z');

type Item = Record<string, unknown>;

describe('reloading the dataset after a deletion (R8) against dynalite', () => {
  const dynamo = useDynalite([RECORDS, REQUESTS]);
  const fingerprinter = new LocalFingerprinter(randomBytes(32));
  let db: DynamoDBDocumentClient;
  let records: LibraryRecords;
  let holds: LegalHolds;
  let demo: Dataset;

  beforeAll(async () => {
    db = dynamo.db;
    demo = await readDatasetFile(DEMO_PATH);
    // A fresh table remembers nothing: loading needs no key, and skips nobody.
    expect((await loadDataset(demo, { client: db, tableName: RECORDS })).skipped).toEqual({ patrons: 0, records: 0 });
    records = new LibraryRecords(db, RECORDS);
    holds = new LegalHolds(db, REQUESTS, () => NOW);
  });

  const planFor = async (patronId: string): Promise<DeletionPlan> => {
    const facts = await collectDeletionFacts({ db, recordsTable: RECORDS }, holds, patronId, NOW, NY, defaultPolicy);
    return buildDeletionPlan({ patronId, now: NOW, timezone: NY, policy: defaultPolicy, facts });
  };
  const execute = (patronId: string, plan: DeletionPlan, fp: Fingerprinter = fingerprinter) =>
    executeDeletionPlan({ db, recordsTable: RECORDS, patronId, plan, holds, policy: defaultPolicy, fingerprinter: fp });
  const partition = async (pk: string): Promise<Item[]> => {
    const out: Item[] = [];
    let start: Item | undefined;
    do {
      const res = await db.send(
        new QueryCommand({
          TableName: RECORDS,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      out.push(...(res.Items ?? []));
      start = res.LastEvaluatedKey;
    } while (start);
    return out;
  };

  it('R8: Yuki (P1007) is deleted in full, then the same dataset is loaded again: she and her loans do not come back', async () => {
    const yuki = demo.patrons.find((p) => p.id === 'P1007');
    if (!yuki) throw new Error('demo dataset changed');
    const plan = await planFor('P1007');
    expect(plan.mode).toBe('full');
    await execute('P1007', plan);
    expect(await records.getPatron('P1007')).toBeUndefined();

    // The memory: two items, each holding the keyed fingerprint and nothing else.
    const memory = await partition(recordKeys.erasedPartition);
    expect(memory).toHaveLength(2);
    expect(memory.map((m) => m.sk).sort()).toEqual(
      [
        await fingerprinter.fingerprint('patron-id', 'P1007'),
        await fingerprinter.fingerprint('card', yuki.cardNumber),
      ].sort(),
    );
    for (const m of memory) {
      expect(Object.keys(m).sort()).toEqual(['kind', 'pk', 'sk']);
      expect(m).toMatchObject({ pk: 'ERASED', kind: 'ERASED' });
      expect(m.sk).toMatch(/^[0-9a-f]{64}$/);
      const text = JSON.stringify(m);
      for (const identifier of ['P1007', yuki.cardNumber, yuki.lastName, yuki.firstName])
        expect(text).not.toContain(identifier);
    }

    const again = await loadDataset(demo, { client: db, tableName: RECORDS, fingerprinter });
    expect(again.skipped).toEqual({ patrons: 1, records: 2 });
    expect(await records.getPatron('P1007')).toBeUndefined();
    expect(await records.findPatronByCard(yuki.cardNumber)).toBeUndefined();
    expect(await partition('PATRON#P1007')).toEqual([]);
    // Everyone else is loaded as before.
    expect(await records.findPatronByCard('21234000012345')).toMatchObject({ id: 'P1001', lastName: 'Lovelace' });
  });

  it('R8: a retried deletion remembers the same fingerprints, once', async () => {
    await execute('P1007', await planFor('P1007'));
    expect(await partition(recordKeys.erasedPartition)).toHaveLength(2);
  });

  it('R8: a table that remembers erasures refuses a load without the key, and loads nothing', async () => {
    await expect(loadDataset(demo, { client: db, tableName: RECORDS })).rejects.toThrow(IntegrityError);
    expect(await records.getPatron('P1007')).toBeUndefined();
  });

  it('R8: a partial deletion that keeps the profile remembers nobody (Ada stays a patron)', async () => {
    const plan = await planFor('P1001');
    expect(plan.mode).toBe('partial');
    await execute('P1001', plan);
    expect(await partition(recordKeys.erasedPartition)).toHaveLength(2);
    await loadDataset(demo, { client: db, tableName: RECORDS, fingerprinter });
    expect(await records.getPatron('P1001')).toMatchObject({ id: 'P1001' });
  });

  it('R8: the memory is written before the profile goes: a fingerprinter that fails leaves the profile in place', async () => {
    const failing: Fingerprinter = { fingerprint: () => Promise.reject(new Error('key unavailable')) };
    const plan = await planFor('P1025');
    expect(plan.mode).toBe('full');
    await expect(execute('P1025', plan, failing)).rejects.toThrow('key unavailable');
    const profile = await db.send(
      new GetCommand({ TableName: RECORDS, Key: recordKeys.patron('P1025'), ConsistentRead: true }),
    );
    expect(profile.Item).toBeDefined();
    // The retry with the key finishes the deletion, and from then on a load leaves the patron out.
    await execute('P1025', plan);
    expect(await records.getPatron('P1025')).toBeUndefined();
    const again = await loadDataset(demo, { client: db, tableName: RECORDS, fingerprinter });
    expect(again.skipped.patrons).toBe(2);
    expect(await records.getPatron('P1025')).toBeUndefined();
  });
});
