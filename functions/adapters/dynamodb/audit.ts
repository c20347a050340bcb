import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { GENESIS_HASH, hashEvent, type AuditEvent, type AuditEventInput } from '../../domain/audit.ts';
import { isConditionalCheckFailed, queryAll } from './client.ts';
import { entity } from './entity.ts';
import { requestKeys } from './keys.ts';

/** R17: one event of a request's chain, under the request's key by sequence number. */
export const auditEventEntity = entity<AuditEvent>({
  name: 'audit event',
  schema: z.object({
    requestId: z.string(),
    seq: z.number().int().positive(),
    at: z.string(),
    prevHash: z.string(),
    hash: z.string(),
    eventId: z.string(),
    type: z.string(),
    actor: z.object({
      kind: z.enum(['system', 'requester', 'patron', 'staff', 'counsel']),
      id: z.string().optional(),
      role: z.string().optional(),
    }),
    data: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())]))
      .optional(),
  }),
  keys: (e) => requestKeys.audit(e.requestId, e.seq),
});

/**
 * The append-only audit trail of a request (R17), one item per event under the request's key.
 * Append reads the head, then writes seq+1 only if that slot is free; a lost race re-reads.
 * An event id already in the chain is returned as it is, so retried steps never append twice.
 */
export class AuditLog {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async append(requestId: string, input: AuditEventInput): Promise<AuditEvent> {
    for (let attempt = 0; ; attempt++) {
      const events = await this.list(requestId);
      const existing = events.find((e) => e.eventId === input.eventId);
      if (existing) return existing;
      const head = events.at(-1);
      const unsigned = {
        requestId,
        seq: (head?.seq ?? 0) + 1,
        at: this.clock().toISOString(),
        prevHash: head?.hash ?? GENESIS_HASH,
        eventId: input.eventId,
        type: input.type,
        actor: input.actor,
        data: input.data ?? {},
      };
      const event: AuditEvent = { ...unsigned, hash: hashEvent(unsigned) };
      try {
        await this.db.send(
          new PutCommand({
            TableName: this.table,
            Item: auditEventEntity.item(event),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return event;
      } catch (e) {
        if (!isConditionalCheckFailed(e) || attempt >= 9) throw e;
      }
    }
  }

  /** The whole chain in order; a request has dozens of events, read by key. */
  async list(requestId: string): Promise<AuditEvent[]> {
    const items = await queryAll(this.db, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': requestKeys.request(requestId).pk, ':prefix': requestKeys.auditPrefix },
      ConsistentRead: true,
    });
    return items.map(auditEventEntity.parse);
  }
}
