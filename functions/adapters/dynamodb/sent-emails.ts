import { createHash, randomUUID } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from './client.ts';
import { TABLE_KEYS } from './keys.ts';

/** Kept a little over a year: long after any retry of the step that sent it could come. */
const KEEP_SECONDS = 400 * 24 * 3600;

/**
 * How long a claim to send stands while its email is neither recorded as sent nor released: past
 * Lambda's longest run (15 minutes), the try that claimed it cannot still be running.
 */
export const CLAIM_STANDS_MS = 15 * 60 * 1000;

/** What a try that means to send an email finds: the email is its to send, or sent, or another try is sending it now. */
export type SendClaim = { state: 'claimed'; claimId: string } | { state: 'sent' } | { state: 'busy' };

/**
 * ARCHITECTURE.md (Faults): the emails a request's steps have sent, one small item each under the
 * request, keyed by what the email is for and a hash of its addressees (never an address, R5).
 * A try claims the key before it sends and marks it sent after, so a step retried after its
 * email went out, or two tries of it at once, send it once.
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

  private expiry(now: Date): Record<string, number> {
    return { [TABLE_KEYS.ttlAttribute]: Math.floor(now.getTime() / 1000) + KEEP_SECONDS };
  }

  async wasSent(requestId: string, purpose: string, to: readonly string[]): Promise<boolean> {
    const res = await this.db.send(
      new GetCommand({ TableName: this.table, Key: this.key(requestId, purpose, to), ConsistentRead: true }),
    );
    return res.Item !== undefined && res.Item.state !== 'sending';
  }

  /**
   * One conditional put claims the email for this try: nothing under its key, or a claim that no
   * longer stands. A put whose answer was lost and that the SDK tried again meets its own claim id.
   */
  async claim(requestId: string, purpose: string, to: readonly string[]): Promise<SendClaim> {
    const key = this.key(requestId, purpose, to);
    const now = this.clock();
    const claimId = randomUUID();
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...key, state: 'sending', claimId, claimedAt: now.toISOString(), ...this.expiry(now) },
          ConditionExpression: 'attribute_not_exists(pk) OR (#state = :sending AND claimedAt < :stale)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':sending': 'sending',
            ':stale': new Date(now.getTime() - CLAIM_STANDS_MS).toISOString(),
          },
        }),
      );
      return { state: 'claimed', claimId };
    } catch (e) {
      if (!isConditionalCheckFailed(e)) {
        // Faults: the put reached the table, its answer was lost, and the SDK did not try again (its
        // retry quota spent under many faults): the claim is this try's, or a retry would find it
        // `sending` for as long as a claim stands. The item says whose it is.
        const stored = await this.db.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }));
        if (stored.Item?.claimId === claimId) return { state: 'claimed', claimId };
        throw e;
      }
    }
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }));
    if (res.Item?.claimId === claimId) return { state: 'claimed', claimId };
    // Released in between: the caller claims again. A key written before claims existed has no state: sent.
    if (res.Item === undefined) return { state: 'busy' };
    return res.Item.state === 'sending' ? { state: 'busy' } : { state: 'sent' };
  }

  /** Marks the email sent. Idempotent: the same key written again changes nothing that matters. */
  async record(requestId: string, purpose: string, to: readonly string[]): Promise<void> {
    const now = this.clock();
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...this.key(requestId, purpose, to), state: 'sent', sentAt: now.toISOString(), ...this.expiry(now) },
      }),
    );
  }

  /** Gives a claim up after a send that surely failed, so a later try sends; another try's claim is left alone. */
  async release(requestId: string, purpose: string, to: readonly string[], claimId: string): Promise<void> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: this.key(requestId, purpose, to),
          ConditionExpression: 'claimId = :c',
          ExpressionAttributeValues: { ':c': claimId },
        }),
      );
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
    }
  }
}
