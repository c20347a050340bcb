import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { ConflictError, NotFoundError } from '../../domain/errors.ts';
import { assertTransition, isTerminal, type RequestRecord, type RequestStatus } from '../../domain/request.ts';
import { isConditionalCheckFailed } from './client.ts';
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
      await this.db.send(
        new PutCommand({ TableName: this.table, Item: toItem(r), ConditionExpression: 'attribute_not_exists(pk)' }),
      );
    } catch (e) {
      if (isConditionalCheckFailed(e)) throw new ConflictError('request id already exists');
      throw e;
    }
  }

  async find(requestId: string): Promise<RequestRecord | undefined> {
    const res = await this.db.send(
      new GetCommand({ TableName: this.table, Key: requestKeys.request(requestId), ConsistentRead: true }),
    );
    return res.Item ? fromItem(res.Item) : undefined;
  }

  async get(requestId: string): Promise<RequestRecord> {
    const r = await this.find(requestId);
    if (!r) throw new NotFoundError('no such request');
    return r;
  }

  /** Writes `next` if the stored version is still `next.version`; returns the saved record. */
  async save(next: RequestRecord): Promise<RequestRecord> {
    const now = this.clock().toISOString();
    // R3: the moment a request closes is kept, so statistics can measure time to complete.
    const saved: RequestRecord = {
      ...next,
      version: next.version + 1,
      updatedAt: now,
      ...(isTerminal(next.status) && !next.closedAt ? { closedAt: now } : {}),
    };
    // R16: a request closing now is queued for its tombstone by close time (one small item, read by key). No
    // transactions, so it is written first; the sweep drops an entry whose request did not close after all.
    if (saved.closedAt && !next.closedAt)
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...requestKeys.closedRequest(saved.closedAt, saved.requestId), requestId: saved.requestId },
        }),
      );
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

  /**
   * One page of a status partition of gsi2, soonest due first, from `dueFrom` on: the staff queue
   * and the statistics (R3) read only the attributes they name (dotted paths reach into maps), and
   * never scan.
   */
  async pageByStatus(
    status: RequestStatus,
    opts: { attributes: readonly string[]; dueFrom?: string; limit?: number; startKey?: Record<string, unknown> },
  ): Promise<{ items: Record<string, unknown>[]; nextKey?: Record<string, unknown> }> {
    const names: Record<string, string> = {};
    const projection = opts.attributes.map((path) =>
      path
        .split('.')
        .map((part) => {
          const placeholder = `#${part.replace(/[^A-Za-z0-9]/g, '_')}`;
          names[placeholder] = part;
          return placeholder;
        })
        .join('.'),
    );
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'gsi2',
        KeyConditionExpression: opts.dueFrom ? 'gsi2pk = :s AND gsi2sk >= :from' : 'gsi2pk = :s',
        ExpressionAttributeValues: {
          ':s': requestKeys.byStatus(status),
          ...(opts.dueFrom ? { ':from': opts.dueFrom } : {}),
        },
        ProjectionExpression: projection.join(', '),
        ExpressionAttributeNames: names,
        Limit: opts.limit ?? 200,
        ...(opts.startKey ? { ExclusiveStartKey: opts.startKey } : {}),
      }),
    );
    return { items: res.Items ?? [], ...(res.LastEvaluatedKey ? { nextKey: res.LastEvaluatedKey } : {}) };
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

  /** R15: one status's requests due before `before`, soonest first, page by page (gsi2 by key range, never a scan). */
  async *dueBefore(status: RequestStatus, before: string, pageSize = 100): AsyncGenerator<RequestRecord[]> {
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: 'gsi2',
          KeyConditionExpression: 'gsi2pk = :s AND gsi2sk < :before',
          ExpressionAttributeValues: { ':s': requestKeys.byStatus(status), ':before': before },
          Limit: pageSize,
          ExclusiveStartKey: start,
        }),
      );
      if (res.Items && res.Items.length > 0) yield res.Items.map(fromItem);
      start = res.LastEvaluatedKey;
    } while (start);
  }

  /** R16: one page of the requests that closed before `before`, oldest first, after the entry `after` (a cursor). */
  async closedBefore(
    before: string,
    opts: { limit?: number; after?: string } = {},
  ): Promise<{ closedAt: string; requestId: string; sk: string }[]> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :p AND sk < :before',
        ExpressionAttributeValues: { ':p': requestKeys.closedPartition, ':before': before },
        ConsistentRead: true,
        Limit: opts.limit ?? 100,
        ...(opts.after ? { ExclusiveStartKey: { pk: requestKeys.closedPartition, sk: opts.after } } : {}),
      }),
    );
    return (res.Items ?? []).map((i) => {
      const sk = String(i.sk);
      return { sk, closedAt: sk.slice(0, sk.lastIndexOf('#')), requestId: String(i.requestId) };
    });
  }

  /** R16: takes a request off the tombstone queue (done, or not closed after all). */
  async dropClosed(sk: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: requestKeys.closedPartition, sk } }));
  }

  /** R14 R16: queues an unmatched request to be closed at `verifyBy` (written before the match is saved; idempotent). */
  async queueUnmatched(requestId: string, verifyBy: string): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...requestKeys.unmatchedRequest(verifyBy, requestId), requestId },
      }),
    );
  }

  /** R14 R16: one page of unmatched requests whose verification time has passed, oldest first. */
  async unmatchedDue(now: string, limit = 100): Promise<{ requestId: string; sk: string }[]> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :p AND sk < :now',
        ExpressionAttributeValues: { ':p': requestKeys.unmatchedPartition, ':now': now },
        ConsistentRead: true,
        Limit: limit,
      }),
    );
    return (res.Items ?? []).map((i) => ({ sk: String(i.sk), requestId: String(i.requestId) }));
  }

  async dropUnmatched(sk: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: requestKeys.unmatchedPartition, sk } }));
  }
}
