import { createHash } from 'node:crypto';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLE_KEYS } from './keys.ts';

/** Kept a little over a year: long after any retry of the step that sent it could come. */
const KEEP_SECONDS = 400 * 24 * 3600;

/**
 * ARCHITECTURE.md (Faults): the emails a request's steps have sent, one small item each under the
 * request, keyed by what the email is for and a hash of its addressees (never an address, R5).
 * A step retried after its email went out finds the key and does not send it again.
 */
export class SentEmails {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  private key(requestId: string, purpose: string, to: readonly string[]) {
    const who = createHash('sha256')
      .update(
        [...to]
          .map((a) => a.toLowerCase())
          .sort()
          .join('\n'),
      )
      .digest('hex')
      .slice(0, 32);
    return { pk: `REQ#${requestId}`, sk: `SENT#${purpose}#${who}` };
  }

  async wasSent(requestId: string, purpose: string, to: readonly string[]): Promise<boolean> {
    const res = await this.db.send(
      new GetCommand({ TableName: this.table, Key: this.key(requestId, purpose, to), ConsistentRead: true }),
    );
    return res.Item !== undefined;
  }

  /** Idempotent: the same key written again changes nothing that matters. */
  async record(requestId: string, purpose: string, to: readonly string[]): Promise<void> {
    const now = this.clock();
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          ...this.key(requestId, purpose, to),
          sentAt: now.toISOString(),
          [TABLE_KEYS.ttlAttribute]: Math.floor(now.getTime() / 1000) + KEEP_SECONDS,
        },
      }),
    );
  }
}
