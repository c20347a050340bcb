import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConflictError, NotFoundError } from '../domain/errors.ts';
import { assertTransition, type RequestRecord, type RequestStatus } from '../domain/request.ts';
import { isConditionalCheckFailed } from './dynamo.ts';
import { requestKeys } from './keys.ts';

type Item = RequestRecord & Record<string, unknown>;

const toItem = (r: RequestRecord): Item => ({
  ...requestKeys.request(r.requestId),
  ...(r.patronId ? { gsi1pk: requestKeys.byPatron(r.patronId), gsi1sk: r.createdAt } : {}),
  gsi2pk: requestKeys.byStatus(r.status),
  gsi2sk: `${r.dueAt}#${r.requestId}`,
  ...r,
});

const fromItem = (item: Record<string, unknown>): RequestRecord => {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g1s, gsi2pk: _g2, gsi2sk: _g2s, ...rest } = item;
  return rest as unknown as RequestRecord;
};

/**
 * Requests, one item each. Every change is a whole-item put conditioned on the version read
 * (optimistic locking): dynalite has no transactions, so single-item atomicity is the design.
 */
export class RequestStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async create(r: RequestRecord): Promise<void> {
    try {
      await this.db.send(new PutCommand({ TableName: this.table, Item: toItem(r), ConditionExpression: 'attribute_not_exists(pk)' }));
    } catch (e) {
      if (isConditionalCheckFailed(e)) throw new ConflictError('request id already exists');
      throw e;
    }
  }

  async find(requestId: string): Promise<RequestRecord | undefined> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: requestKeys.request(requestId), ConsistentRead: true }));
    return res.Item ? fromItem(res.Item) : undefined;
  }

  async get(requestId: string): Promise<RequestRecord> {
    const r = await this.find(requestId);
    if (!r) throw new NotFoundError('no such request');
    return r;
  }

  /** Writes `next` if the stored version is still `next.version`; returns the saved record. */
  async save(next: RequestRecord): Promise<RequestRecord> {
    const saved: RequestRecord = { ...next, version: next.version + 1, updatedAt: this.clock().toISOString() };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: toItem(saved),
          ConditionExpression: 'version = :v',
          ExpressionAttributeValues: { ':v': next.version },
        }),
      );
      return saved;
    } catch (e) {
      if (isConditionalCheckFailed(e)) throw new ConflictError('request changed concurrently');
      throw e;
    }
  }

  /**
   * Read, change, conditional write; re-read and re-apply on a lost race. `change` must be a pure
   * function of the record it is given, so that re-applying it is safe.
   */
  async update(requestId: string, change: (r: RequestRecord) => RequestRecord | undefined): Promise<RequestRecord> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.get(requestId);
      const next = change(current);
      if (!next) return current;
      try {
        return await this.save(next);
      } catch (e) {
        if (!(e instanceof ConflictError) || attempt >= 4) throw e;
      }
    }
  }

  /** Moves a request to `to`; already there is success, so a retried step changes nothing. */
  async transition(requestId: string, to: RequestStatus, patch: Partial<RequestRecord> = {}): Promise<RequestRecord> {
    return this.update(requestId, (r) => {
      if (r.status === to) return undefined;
      assertTransition(r.status, to);
      return { ...r, ...patch, status: to };
    });
  }

  /** Every request about a patron, newest first (gsi1, never a scan). */
  async listByPatron(patronId: string): Promise<RequestRecord[]> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': requestKeys.byPatron(patronId) },
        ScanIndexForward: false,
      }),
    );
    return (res.Items ?? []).map(fromItem);
  }

  /** The staff queue for one status, soonest due first (gsi2). */
  async listByStatus(status: RequestStatus, limit = 100): Promise<RequestRecord[]> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :s',
        ExpressionAttributeValues: { ':s': requestKeys.byStatus(status) },
        Limit: limit,
      }),
    );
    return (res.Items ?? []).map(fromItem);
  }
}
