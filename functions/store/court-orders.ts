import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CourtOrder } from '../domain/court-order.ts';
import { ConflictError, NotFoundError } from '../domain/errors.ts';
import { isConditionalCheckFailed } from './dynamo.ts';
import { requestKeys } from './keys.ts';

/** An order waits in the lapse index while its hold may still lapse and nobody has recorded it. */
const lapsePending = (o: CourtOrder): boolean => o.status === 'submitted' && !!o.lapseDueAt && !o.holdReleasedAt && !o.holdLapseRecordedAt;

const toItem = (o: CourtOrder): Record<string, unknown> => ({
  ...requestKeys.order(o.orderId),
  kind: 'COURT_ORDER',
  ...(lapsePending(o) ? { gsi2pk: requestKeys.lapsingHolds, gsi2sk: `${o.lapseDueAt}#${o.orderId}` } : {}),
  ...o,
});

const fromItem = (item: Record<string, unknown>): CourtOrder => {
  const { pk: _pk, sk: _sk, kind: _kind, gsi2pk: _g, gsi2sk: _gs, ...rest } = item;
  return rest as unknown as CourtOrder;
};

/**
 * R12 court orders, one item each in the requests table (encrypted at rest). Every change is a
 * whole-item put conditioned on the version read, as for requests: single-item atomicity only.
 */
export class CourtOrders {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async create(o: CourtOrder): Promise<void> {
    try {
      await this.db.send(new PutCommand({ TableName: this.table, Item: toItem(o), ConditionExpression: 'attribute_not_exists(pk)' }));
    } catch (e) {
      if (isConditionalCheckFailed(e)) throw new ConflictError('order id already exists');
      throw e;
    }
  }

  async find(orderId: string): Promise<CourtOrder | undefined> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: requestKeys.order(orderId), ConsistentRead: true }));
    return res.Item ? fromItem(res.Item) : undefined;
  }

  async get(orderId: string): Promise<CourtOrder> {
    const o = await this.find(orderId);
    if (!o) throw new NotFoundError('no such order');
    return o;
  }

  /** Read, change, conditional write; re-read and re-apply on a lost race. `undefined` changes nothing. */
  async update(orderId: string, change: (o: CourtOrder) => CourtOrder | undefined): Promise<CourtOrder> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.get(orderId);
      const next = change(current);
      if (!next) return current;
      const saved: CourtOrder = { ...next, version: current.version + 1, updatedAt: this.clock().toISOString() };
      try {
        await this.db.send(
          new PutCommand({ TableName: this.table, Item: toItem(saved), ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': current.version } }),
        );
        return saved;
      } catch (e) {
        if (!isConditionalCheckFailed(e) || attempt >= 4) throw new ConflictError('order changed concurrently');
      }
    }
  }

  /** R13: orders whose hold's lapse time has passed and is not yet recorded (gsi2, by time; never a scan). */
  async lapsedHolds(limit = 100): Promise<CourtOrder[]> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :p AND gsi2sk < :now',
        ExpressionAttributeValues: { ':p': requestKeys.lapsingHolds, ':now': this.clock().toISOString() },
        Limit: limit,
      }),
    );
    return (res.Items ?? []).map(fromItem);
  }
}
