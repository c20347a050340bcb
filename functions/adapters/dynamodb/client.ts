import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { transientErrors } from '../aws-errors.ts';
import { retryTransient } from '../retry-transient.ts';

type ClientPlugin = Parameters<DynamoDBClient['middlewareStack']['use']>[0];

/** The calls that only read, by the names the client gives them: safe to make again. */
const READS = new Set([
  'GetItemCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchGetItemCommand',
  'TransactGetItemsCommand',
]);

/**
 * One document client per process; `endpoint` points at dynalite or DynamoDB Local. `plugins` are
 * added after ours (the chaos run's fault injection, functions/lib/faults.ts).
 */
export function createDocumentClient(
  opts: { endpoint?: string; region?: string; plugins?: readonly ClientPlugin[] } = {},
): DynamoDBDocumentClient {
  const local = opts.endpoint !== undefined;
  const client = new DynamoDBClient({
    region: opts.region ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(local
      ? { endpoint: opts.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 5 }
      : {}),
  });
  // Throttling that outlasts the SDK's retries reaches the workflow as TransientError (Faults).
  client.middlewareStack.use(transientErrors('DynamoDB'));
  // Outside that: a read that still failed is made again, a few times (retry-transient.ts).
  client.middlewareStack.add(
    (next, context) => async (args) =>
      READS.has(context.commandName ?? '') ? retryTransient(() => next(args)) : next(args),
    { step: 'initialize', priority: 'high', name: 'privacyDeskRetriedReads', override: true },
  );
  for (const plugin of opts.plugins ?? []) client.middlewareStack.use(plugin);
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

/** DynamoDB and dynalite name a failed condition the same way, so one check serves both. */
export const isConditionalCheckFailed = (e: unknown): boolean =>
  e instanceof Error && e.name === 'ConditionalCheckFailedException';

/** Every item of a query, page by page: for partitions known to be small (an audit chain, a patron's holds). */
export async function queryAll(
  db: DynamoDBDocumentClient,
  input: Omit<QueryCommandInput, 'ExclusiveStartKey'>,
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const res = await db.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    out.push(...(res.Items ?? []));
    start = res.LastEvaluatedKey;
  } while (start);
  return out;
}
