import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConflictError, NotFoundError } from '../../domain/errors.ts';
import { systemResultSchema, type SystemResult } from '../../domain/system-result.ts';
import { queryAll } from './client.ts';
import { LOST_RACE, putIfVersion, putNew, retryLostRaces } from './conditional-put.ts';
import { entity } from './entity.ts';
import { requestKeys } from './keys.ts';

/**
 * R19: one item per request and system. A result that waits with a callback token is listed on
 * gsi2 by its re-check time, so the daily sweep finds it by key, never by a scan.
 */
const systemResultEntity = entity<SystemResult>({
  name: 'system result',
  schema: systemResultSchema,
  keys: (r) => ({
    ...requestKeys.systemResult(r.requestId, r.systemId),
    ...(r.waitToken && r.recheckAt
      ? { gsi2pk: requestKeys.waitingSystems, gsi2sk: `${r.recheckAt}#${r.requestId}#${r.systemId}` }
      : {}),
  }),
});

export type SystemResultChange = (current: SystemResult) => SystemResult | undefined;

export class SystemResults {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: () => Date,
  ) {}

  /** Creates a `pending` result for each system not yet known: a retried plan step adds nothing twice. */
  async ensure(requestId: string, systemIds: readonly string[]): Promise<void> {
    const updatedAt = this.clock().toISOString();
    for (const systemId of systemIds)
      await putNew(
        this.db,
        this.table,
        systemResultEntity.item({ requestId, systemId, version: 0, state: 'pending', updatedAt }),
      );
  }

  async find(requestId: string, systemId: string): Promise<SystemResult | undefined> {
    const res = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: requestKeys.systemResult(requestId, systemId),
        ConsistentRead: true,
      }),
    );
    return res.Item ? systemResultEntity.parse(res.Item) : undefined;
  }

  async get(requestId: string, systemId: string): Promise<SystemResult> {
    const found = await this.find(requestId, systemId);
    if (!found) throw new NotFoundError(`no result of system ${systemId} for the request`);
    return found;
  }

  /** Every system's result for a request, in system-id order (one small partition slice). */
  async list(requestId: string): Promise<SystemResult[]> {
    const items = await queryAll(this.db, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sys)',
      ExpressionAttributeValues: {
        ':pk': requestKeys.request(requestId).pk,
        ':sys': requestKeys.systemResultPrefix,
      },
      ConsistentRead: true,
    });
    return items.map((i) => systemResultEntity.parse(i));
  }

  /** One conditional write on the result's version; `change` answering undefined writes nothing. */
  async update(requestId: string, systemId: string, change: SystemResultChange): Promise<SystemResult> {
    return retryLostRaces(
      async () => {
        const current = await this.get(requestId, systemId);
        const next = change(current);
        if (!next) return current;
        const written = { ...next, version: current.version + 1, updatedAt: this.clock().toISOString() };
        const ok = await putIfVersion(this.db, this.table, systemResultEntity.item(written), current.version);
        return ok ? written : LOST_RACE;
      },
      () => new ConflictError(`system ${systemId}'s result kept changing`),
    );
  }

  /** R8: waiting results whose re-check is due at `now`, oldest first. */
  async dueForRecheck(now: Date, limit = 100): Promise<SystemResult[]> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :p AND gsi2sk <= :now',
        ExpressionAttributeValues: { ':p': requestKeys.waitingSystems, ':now': `${now.toISOString()}~` },
        Limit: limit,
      }),
    );
    return (res.Items ?? []).map((i) => systemResultEntity.parse(i));
  }
}
