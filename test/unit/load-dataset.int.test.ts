import { fileURLToPath } from 'node:url';
import { GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../../functions/domain/dataset.ts';
import { datasetToItems, loadDataset, readDatasetFile } from '../../functions/connectors/records-table/load-dataset.ts';
import { recordKeys } from '../../functions/adapters/dynamodb/keys.ts';
import { useDynalite } from '../support/dynalite.ts';

const DEMO_PATH = fileURLToPath(new URL('../../local/demo-dataset.json', import.meta.url));
const TABLE = 'library-records';

describe('loadDataset into dynalite', () => {
  const dynamo = useDynalite([TABLE]);
  let dataset: Dataset;

  beforeAll(async () => {
    dataset = await readDatasetFile(DEMO_PATH);
  });

  it('writes every item, and Ada is found by card number', async () => {
    const { items } = await loadDataset(dataset, { client: dynamo.db, tableName: TABLE });
    expect(items).toBe(datasetToItems(dataset).length);

    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await dynamo.db.send(
        new ScanCommand({ TableName: TABLE, Select: 'COUNT', ExclusiveStartKey: start }),
      );
      count += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
    expect(count).toBe(items);

    const found = await dynamo.db.send(
      new QueryCommand({
        TableName: TABLE,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :card',
        ExpressionAttributeValues: { ':card': recordKeys.byCard('21234000012345') },
      }),
    );
    expect(found.Items).toHaveLength(1);
    expect(found.Items?.[0]).toMatchObject({ pk: 'PATRON#P1001', id: 'P1001', firstName: 'Ada', lastName: 'Lovelace' });

    const library = await dynamo.db.send(new GetCommand({ TableName: TABLE, Key: recordKeys.library }));
    expect(library.Item).toMatchObject({ name: dataset.library.name, timezone: 'America/New_York' });
  });

  it('is idempotent: a second load overwrites and adds nothing', async () => {
    const { items } = await loadDataset(dataset, { client: dynamo.db, tableName: TABLE });
    const page = await dynamo.db.send(new ScanCommand({ TableName: TABLE, Select: 'COUNT' }));
    // The demo is small enough for one scan page (1 MB).
    expect(page.Count).toBe(items);
  });
});
