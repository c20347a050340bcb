import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../../functions/domain/dataset.ts';
import { datasetToItems, loadDataset, readDatasetFile } from '../../functions/connectors/records-table/load-dataset.ts';
import { recordKeys } from '../../functions/adapters/dynamodb/keys.ts';

const DEMO_PATH = fileURLToPath(new URL('../../local/demo-dataset.json', import.meta.url));
const TABLE = 'library-records';

describe('loadDataset into dynalite', () => {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  let base: DynamoDBClient;
  let client: DynamoDBDocumentClient;
  let dataset: Dataset;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    base = new DynamoDBClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      endpoint: `http://127.0.0.1:${port}`,
    });
    client = DynamoDBDocumentClient.from(base);
    await base.send(
      new CreateTableCommand({
        TableName: TABLE,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'gsi1pk', AttributeType: 'S' },
          { AttributeName: 'gsi1sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'gsi1',
            KeySchema: [
              { AttributeName: 'gsi1pk', KeyType: 'HASH' },
              { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    dataset = await readDatasetFile(DEMO_PATH);
  });

  afterAll(async () => {
    base?.destroy();
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  });

  it('writes every item, and Ada is found by card number', async () => {
    const { items } = await loadDataset(dataset, { client, tableName: TABLE });
    expect(items).toBe(datasetToItems(dataset).length);

    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: TABLE, Select: 'COUNT', ExclusiveStartKey: start }));
      count += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
    expect(count).toBe(items);

    const found = await client.send(
      new QueryCommand({
        TableName: TABLE,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :card',
        ExpressionAttributeValues: { ':card': recordKeys.byCard('21234000012345') },
      }),
    );
    expect(found.Items).toHaveLength(1);
    expect(found.Items?.[0]).toMatchObject({ pk: 'PATRON#P1001', id: 'P1001', firstName: 'Ada', lastName: 'Lovelace' });

    const library = await client.send(new GetCommand({ TableName: TABLE, Key: recordKeys.library }));
    expect(library.Item).toMatchObject({ name: dataset.library.name, timezone: 'America/New_York' });
  });

  it('is idempotent: a second load overwrites and adds nothing', async () => {
    const { items } = await loadDataset(dataset, { client, tableName: TABLE });
    const page = await client.send(new ScanCommand({ TableName: TABLE, Select: 'COUNT' }));
    // The demo is small enough for one scan page (1 MB).
    expect(page.Count).toBe(items);
  });
});
