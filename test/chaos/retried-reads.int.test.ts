import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { FinalizeRequestMiddleware, Pluggable } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../functions/adapters/dynamodb/client.ts';
import { TransientError } from '../../functions/domain/errors.ts';
import { useDynalite } from '../support/dynalite.ts';

/**
 * ARCHITECTURE.md (Faults): a step making dozens of calls (an access report, a disclosure package,
 * an export, a deletion plan) must not fail whenever one of them meets a fault that outlasts the
 * SDK's own tries. A read is safe to make again, so the client makes it again, a bounded number of
 * times; a write is left to the SDK and the workflow's Retry. The fault is DynamoDB's own
 * `InternalServerError`, thrown on every SDK try of the calls it spoils, as the chaos run's persistent faults are.
 */
const TABLE = 'retried-reads-test';
const dynamo = useDynalite([TABLE]);

/** Spoils every SDK try of the first `calls` whole calls (each counted once, however often the SDK tries it). */
function failFirstCalls(calls: number): { plugin: Pluggable<object, never>; made: () => number } {
  let made = 0;
  const KEY = 'retriedReadsTestSpoiled';
  const plugin: Pluggable<object, never> = {
    applyToStack(stack) {
      stack.add(
        (next, context) => async (args) => {
          (context as Record<string, unknown>)[KEY] = made++ < calls;
          return next(args);
        },
        { step: 'initialize', priority: 'low', name: 'retriedReadsTestCount', override: true },
      );
      const fail: FinalizeRequestMiddleware<object, never> = (next, context) => async (args) => {
        if ((context as Record<string, unknown>)[KEY])
          throw new DynamoDBServiceException({
            name: 'InternalServerError',
            $fault: 'server',
            $metadata: { httpStatusCode: 500, attempts: 1 },
            message: 'We encountered an internal error. Please try again.',
          });
        return next(args);
      };
      stack.addRelativeTo(fail, {
        relation: 'after',
        toMiddleware: 'retryMiddleware',
        name: 'retriedReadsTestFail',
        override: true,
      });
    },
  };
  return { plugin, made: () => made };
}

const clientWith = (plugin: Pluggable<object, never>) =>
  createDocumentClient({ endpoint: dynamo.endpoint, plugins: [plugin as never] });

describe('reads made again past the SDK retries (Faults)', () => {
  it('a read whose first two calls fail past every SDK try answers on its third call', async () => {
    await dynamo.db.send(new PutCommand({ TableName: TABLE, Item: { pk: 'r', sk: '1', v: 'stored' } }));
    const get = failFirstCalls(2);
    const item = await clientWith(get.plugin).send(new GetCommand({ TableName: TABLE, Key: { pk: 'r', sk: '1' } }));
    expect(item.Item?.v).toBe('stored');
    expect(get.made()).toBe(3);

    const query = failFirstCalls(1);
    const listed = await clientWith(query.plugin).send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': 'r' },
      }),
    );
    expect(listed.Items).toHaveLength(1);
  });

  it('a read that keeps failing fails as TransientError after three calls: an outage still reaches the workflow’s Retry', async () => {
    const get = failFirstCalls(Number.POSITIVE_INFINITY);
    const failed = await clientWith(get.plugin)
      .send(new GetCommand({ TableName: TABLE, Key: { pk: 'r', sk: '1' } }))
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(TransientError);
    expect(get.made()).toBe(3);
  });

  it('a write is not made again by the client: it fails as TransientError for the step’s own Retry', async () => {
    const put = failFirstCalls(1);
    const failed = await clientWith(put.plugin)
      .send(new PutCommand({ TableName: TABLE, Item: { pk: 'r', sk: '2' } }))
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(TransientError);
    expect(put.made()).toBe(1);
  });
});
