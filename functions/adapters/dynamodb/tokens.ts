import { randomUUID } from 'node:crypto';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import * as z from '../../domain/zod.ts';
import { ConflictError, GoneError, NotFoundError, TransientError } from '../../domain/errors.ts';
import {
  hashSecret,
  isWellFormedSecret,
  newSecret,
  TOKEN_PURPOSES,
  tokenState,
  type ActionToken,
  type TokenPurpose,
  type TokenRecipient,
} from '../../domain/tokens.ts';
import { isConditionalCheckFailed, queryAll } from './client.ts';
import { putNew, type IsOurWrite } from './conditional-put.ts';
import { entity } from './entity.ts';
import { requestKeys, TABLE_KEYS } from './keys.ts';

/**
 * A link token, by the hash of its secret; gsi1 lists a request's tokens, gsi2 queues the tokens a
 * sweep must visit at expiry (a waiting step, a stored file). Bookkeeping stamps the store writes
 * (`callbackClosedAt`, `fileDeletedAt`) are read past, as before.
 */
export const tokenEntity = entity<ActionToken>({
  name: 'link token',
  schema: z.lazy(() =>
    z.object({
      tokenHash: z.string(),
      purpose: z.enum(TOKEN_PURPOSES),
      requestId: z.string(),
      recipient: z.object({
        kind: z.enum(['patron', 'staff', 'requester']),
        id: z.string(),
        role: z.optional(z.string()),
      }),
      step: z.string(),
      decisions: z.array(z.string()),
      createdAt: z.string(),
      expiresAt: z.string(),
      maxAttempts: z.number().check(z.int()),
      attempts: z.number().check(z.int()),
      usedAt: z.optional(z.string()),
      decision: z.optional(z.string()),
      revokedAt: z.optional(z.string()),
      taskToken: z.optional(z.string()),
      remindAt: z.optional(z.string()),
      fileKey: z.optional(z.string()),
      fileName: z.optional(z.string()),
      contentType: z.optional(z.string()),
      /** Faults: when the link went out by email; a retried step re-points this token rather than send another. */
      emailedAt: z.optional(z.string()),
      /** Faults: when the answer given through this link was recorded (`markRecorded`). */
      recordedAt: z.optional(z.string()),
      /** Faults: when the answer given through this link reached its step (`markHandedOver`). */
      handedOverAt: z.optional(z.string()),
    }),
  ),
  keys: (t) => ({
    ...requestKeys.token(t.tokenHash),
    gsi1pk: requestKeys.tokensOfRequest(t.requestId),
    gsi1sk: `${t.createdAt}#${t.tokenHash}`,
    ...(t.taskToken ? { gsi2pk: requestKeys.openCallbacks, gsi2sk: `${t.expiresAt}#${t.tokenHash}` } : {}),
    ...(t.fileKey ? { gsi2pk: requestKeys.liveDownloads, gsi2sk: `${t.expiresAt}#${t.tokenHash}` } : {}),
  }),
});

export interface IssueTokenInput {
  purpose: TokenPurpose;
  requestId: string;
  recipient: TokenRecipient;
  step: string;
  decisions: string[];
  ttlSeconds: number;
  maxAttempts?: number;
  taskToken?: string;
  fileKey?: string;
  fileName?: string;
  contentType?: string;
  /** Seconds from now until a reminder is due (staff decisions). */
  remindAfterSeconds?: number;
  /** An absolute expiry, for a fresh link that replaces an older one (reminders). */
  expiresAt?: string;
}

/** Link tokens (ARCHITECTURE.md): random, hashed at rest, bound to purpose/request/recipient/step, single-use, expiring. */
export class TokenStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async issue(input: IssueTokenInput): Promise<{ secret: string; token: ActionToken }> {
    const secret = newSecret();
    const now = this.clock();
    const expiresAt = input.expiresAt ? new Date(input.expiresAt) : new Date(now.getTime() + input.ttlSeconds * 1000);
    const remindAt =
      input.remindAfterSeconds !== undefined && now.getTime() + input.remindAfterSeconds * 1000 < expiresAt.getTime()
        ? new Date(now.getTime() + input.remindAfterSeconds * 1000).toISOString()
        : undefined;
    const token: ActionToken = {
      tokenHash: hashSecret(secret),
      purpose: input.purpose,
      requestId: input.requestId,
      recipient: input.recipient,
      step: input.step,
      decisions: input.decisions,
      createdAt: now.toISOString(),
      expiresAt: expiresAt.toISOString(),
      maxAttempts: input.maxAttempts ?? 3,
      attempts: 0,
      ...(input.taskToken ? { taskToken: input.taskToken } : {}),
      ...(remindAt ? { remindAt } : {}),
      ...(input.fileKey ? { fileKey: input.fileKey, fileName: input.fileName, contentType: input.contentType } : {}),
    };
    // Faults: the shared conditional put, so a write whose answer was lost and that the SDK tried
    // again is recognised as this very token, not failed as a clash. It may have been changed in
    // between (revoked with the rest of its step, say), so it is known by what never changes.
    const stored = await putNew(
      this.db,
      this.table,
      tokenEntity.item(token, {
        [TABLE_KEYS.ttlAttribute]: input.taskToken || input.fileKey ? queuedTtl(expiresAt) : settledTtl(expiresAt, now),
      }),
      isThisIssue,
    );
    if (!stored) throw new ConflictError('a link token with this hash exists already');
    if (remindAt) {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...requestKeys.reminder(remindAt, token.tokenHash), tokenHash: token.tokenHash },
        }),
      );
    }
    return { secret, token };
  }

  /** Looks a secret up by its hash; malformed or unknown → NotFoundError. */
  async find(secret: string): Promise<ActionToken> {
    if (!isWellFormedSecret(secret)) throw new NotFoundError('no such link');
    const res = await this.db.send(
      new GetCommand({ TableName: this.table, Key: requestKeys.token(hashSecret(secret)), ConsistentRead: true }),
    );
    if (!res.Item) throw new NotFoundError('no such link');
    return tokenEntity.parse(res.Item);
  }

  async findByHash(tokenHash: string): Promise<ActionToken | undefined> {
    const res = await this.db.send(
      new GetCommand({ TableName: this.table, Key: requestKeys.token(tokenHash), ConsistentRead: true }),
    );
    return res.Item ? tokenEntity.parse(res.Item) : undefined;
  }

  /** Reminders whose time has come, oldest first (a query by key, never a scan). */
  async dueReminders(limit = 100): Promise<{ remindAt: string; tokenHash: string }[]> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :p AND sk < :now',
        ExpressionAttributeValues: { ':p': requestKeys.remindersPartition, ':now': this.clock().toISOString() },
        Limit: limit,
      }),
    );
    return (res.Items ?? []).map((i) => ({
      remindAt: String(i.sk).split('#')[0] ?? '',
      tokenHash: String(i.tokenHash),
    }));
  }

  async dropReminder(remindAt: string, tokenHash: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: requestKeys.reminder(remindAt, tokenHash) }));
  }

  /** Finds a token that can still be acted on, or says why not (410 for used/expired/revoked/locked). */
  async findUsable(secret: string): Promise<ActionToken> {
    const token = await this.find(secret);
    const state = tokenState(token, this.clock());
    if (state !== 'usable') throw new GoneError(`this link is ${state}`);
    return token;
  }

  /**
   * Uses a token once: the conditional write lets exactly one of two simultaneous clicks win.
   */
  async consume(token: ActionToken, decision: string): Promise<ActionToken> {
    const now = this.clock().toISOString();
    // Faults: names this very write, so an SDK retry that meets it can tell it from another click's.
    const consumedBy = randomUUID();
    try {
      const res = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: requestKeys.token(token.tokenHash),
          UpdateExpression: 'SET usedAt = :now, decision = :d, consumedBy = :by, #ttl = :ttl REMOVE gsi2pk, gsi2sk',
          ConditionExpression:
            'attribute_exists(pk) AND attribute_not_exists(usedAt) AND attribute_not_exists(revokedAt) AND expiresAt > :now AND attempts < maxAttempts',
          ExpressionAttributeNames: { '#ttl': TABLE_KEYS.ttlAttribute },
          ExpressionAttributeValues: {
            ':now': now,
            ':d': decision,
            ':by': consumedBy,
            ':ttl': settledTtl(new Date(token.expiresAt), this.clock()),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return tokenEntity.parse(res.Attributes ?? {});
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
      // Faults: the SDK tried again after a dropped answer, and met this very write (its moment and decision).
      const stored = await this.db.send(
        new GetCommand({ TableName: this.table, Key: requestKeys.token(token.tokenHash), ConsistentRead: true }),
      );
      if (stored.Item?.consumedBy === consumedBy) return tokenEntity.parse(stored.Item);
      throw new GoneError('this link was already used or has expired');
    }
  }

  /**
   * R1, R17: a staff member's own download link, used once. Unlike `consume`, the token stays on the
   * download sweep's queue, so its file is still deleted when the link's time is up (R8a).
   */
  async useDownload(token: ActionToken): Promise<ActionToken> {
    const now = this.clock().toISOString();
    try {
      const res = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: requestKeys.token(token.tokenHash),
          UpdateExpression: 'SET usedAt = :now, decision = :d',
          ConditionExpression:
            'attribute_exists(pk) AND attribute_not_exists(usedAt) AND attribute_not_exists(revokedAt) AND expiresAt > :now',
          ExpressionAttributeValues: { ':now': now, ':d': 'downloaded' },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return tokenEntity.parse(res.Attributes ?? {});
    } catch (e) {
      if (isConditionalCheckFailed(e)) throw new GoneError('this link was already used or has expired');
      throw e;
    }
  }

  /**
   * R1: once a printed file is handed over, every other staff member's link to it is revoked. The
   * tokens stay on the download sweep's queue, which deletes the file at expiry (R8a). Answers how many.
   */
  async revokeDownloads(requestId: string): Promise<number> {
    const now = this.clock().toISOString();
    let revoked = 0;
    for (const item of await this.itemsOfRequest(requestId)) {
      if (item.purpose !== 'download' || item.usedAt || item.revokedAt) continue;
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: requestKeys.token(String(item.tokenHash)),
            UpdateExpression: 'SET revokedAt = :now',
            ConditionExpression: 'attribute_not_exists(usedAt) AND attribute_not_exists(revokedAt)',
            ExpressionAttributeValues: { ':now': now },
          }),
        );
        revoked++;
      } catch (e) {
        if (!isConditionalCheckFailed(e)) throw e;
      }
    }
    return revoked;
  }

  /** Counts an invalid submission; the link locks after `maxAttempts` (R7). */
  async recordFailedAttempt(token: ActionToken): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: requestKeys.token(token.tokenHash),
        UpdateExpression: 'SET attempts = attempts + :one',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
  }

  /** Tokens whose workflow step still waits although the link has expired (gsi2, by expiry). */
  expiredCallbacks(limit = 100): Promise<ActionToken[]> {
    return this.expiredOn(requestKeys.openCallbacks, limit);
  }

  /**
   * R12: every token whose workflow step still waits on it (gsi2's queue, by expiry; a query, never
   * a scan): staff departures look here for the links of a person who left a role.
   */
  async openCallbacks(): Promise<ActionToken[]> {
    const items = await queryAll(this.db, {
      TableName: this.table,
      IndexName: 'gsi2',
      KeyConditionExpression: 'gsi2pk = :p AND gsi2sk >= :now',
      ExpressionAttributeValues: { ':p': requestKeys.openCallbacks, ':now': this.clock().toISOString() },
    });
    return items.map(tokenEntity.parse);
  }

  /** R12: revokes one open token (its holder left the role); false when it was already used or revoked. */
  async revoke(token: ActionToken): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: requestKeys.token(token.tokenHash),
          UpdateExpression: 'SET revokedAt = :now, #ttl = :ttl REMOVE gsi2pk, gsi2sk',
          ConditionExpression:
            'attribute_exists(pk) AND attribute_not_exists(usedAt) AND attribute_not_exists(revokedAt)',
          ExpressionAttributeNames: { '#ttl': TABLE_KEYS.ttlAttribute },
          ExpressionAttributeValues: {
            ':now': this.clock().toISOString(),
            ':ttl': settledTtl(new Date(token.expiresAt), this.clock()),
          },
        }),
      );
      return true;
    } catch (e) {
      if (isConditionalCheckFailed(e)) return false;
      throw e;
    }
  }

  /** Download links whose time is up and whose file is still stored (gsi2, by expiry). */
  expiredDownloads(limit = 100): Promise<ActionToken[]> {
    return this.expiredOn(requestKeys.liveDownloads, limit);
  }

  /** Records that a download's file is gone, taking the link off the sweep's queue. */
  markFileDeleted(token: ActionToken): Promise<void> {
    return this.dequeue(token, 'fileDeletedAt');
  }

  /** Takes a token off the deadline queue once its step has been told. */
  closeCallback(token: ActionToken): Promise<void> {
    return this.dequeue(token, 'callbackClosedAt');
  }

  /** One of the sweep's queues on gsi2 (`<expiresAt>#<hash>`): the tokens already past expiry. */
  private async expiredOn(queue: string, limit: number): Promise<ActionToken[]> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :p AND gsi2sk < :now',
        ExpressionAttributeValues: { ':p': queue, ':now': this.clock().toISOString() },
        Limit: limit,
      }),
    );
    return (res.Items ?? []).map(tokenEntity.parse);
  }

  /** Takes a token off its sweep queue, stamping when (`field`). */
  private async dequeue(token: ActionToken, field: 'fileDeletedAt' | 'callbackClosedAt'): Promise<void> {
    const now = this.clock();
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: requestKeys.token(token.tokenHash),
        UpdateExpression: `SET ${field} = :now, #ttl = :ttl REMOVE gsi2pk, gsi2sk`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#ttl': TABLE_KEYS.ttlAttribute },
        ExpressionAttributeValues: { ':now': now.toISOString(), ':ttl': settledTtl(new Date(token.expiresAt), now) },
      }),
    );
  }

  /** Every token of a request, oldest first (gsi1): the staff page shows which steps still wait (R1 page, no secrets). */
  async listOfRequest(requestId: string): Promise<ActionToken[]> {
    return (await this.itemsOfRequest(requestId)).map(tokenEntity.parse);
  }

  /**
   * Revokes every open token of a request (cancel, expiry), or of one of its steps where several
   * wait at once (one per manual system, R19): links answer 410 from then on.
   */
  async revokeAll(requestId: string, step?: string): Promise<number> {
    const now = this.clock().toISOString();
    let revoked = 0;
    for (const item of await this.itemsOfRequest(requestId)) {
      if (item.usedAt || item.revokedAt || item.purpose === 'download') continue;
      if (step !== undefined && item.step !== step) continue;
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: requestKeys.token(String(item.tokenHash)),
            UpdateExpression: 'SET revokedAt = :now, #ttl = :ttl REMOVE gsi2pk, gsi2sk',
            ConditionExpression: 'attribute_not_exists(usedAt)',
            ExpressionAttributeNames: { '#ttl': TABLE_KEYS.ttlAttribute },
            ExpressionAttributeValues: {
              ':now': now,
              ':ttl': settledTtl(new Date(String(item.expiresAt)), this.clock()),
            },
          }),
        );
        revoked++;
      } catch (e) {
        if (!isConditionalCheckFailed(e)) throw e;
      }
    }
    return revoked;
  }

  /** Faults: the answer given through this link reached its step; until then the same answer may finish it (follow-link.ts). */
  async markHandedOver(tokenHash: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: requestKeys.token(tokenHash),
        UpdateExpression: 'SET handedOverAt = :now',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':now': this.clock().toISOString() },
      }),
    );
  }

  /** Faults: the answer given through this link is recorded; a retried step may now take it (`repointAnswered`). */
  async markRecorded(tokenHash: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: requestKeys.token(tokenHash),
        UpdateExpression: 'SET recordedAt = :now',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':now': this.clock().toISOString() },
      }),
    );
  }

  /**
   * Faults: a waiting step retried after its link was emailed, whose link was answered in between
   * (the answer met the failed try's task gone): the answered link of the same request, step and
   * purpose, whoever of its recipients answered it, not yet handed over, is pointed at the retried
   * step's task token. Answers it (with `recordedAt` set, its answer is recorded and the retried
   * step hands it to itself; without, the press still under way hands it over through the re-read
   * in `resumeWaitingStep`), or undefined when there is none. The write is conditional on what was
   * read, so a press that records its answer at the same moment is read again, never missed.
   */
  async repointAnswered(o: {
    requestId: string;
    step: string;
    purpose: TokenPurpose;
    taskToken: string;
  }): Promise<ActionToken | undefined> {
    for (let read = 0; read < 5; read++) {
      const now = this.clock().toISOString();
      const answered = (await this.itemsOfRequest(o.requestId))
        .map(tokenEntity.parse)
        .find(
          (t) =>
            t.step === o.step &&
            t.purpose === o.purpose &&
            t.emailedAt !== undefined &&
            t.taskToken !== undefined &&
            t.usedAt !== undefined &&
            t.decision !== undefined &&
            !t.handedOverAt &&
            !t.revokedAt &&
            t.expiresAt > now,
        );
      if (!answered) return undefined;
      if (answered.taskToken === o.taskToken) return answered;
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: requestKeys.token(answered.tokenHash),
            UpdateExpression: 'SET taskToken = :t',
            ConditionExpression: `taskToken = :was AND attribute_not_exists(handedOverAt) AND ${
              answered.recordedAt ? 'attribute_exists(recordedAt)' : 'attribute_not_exists(recordedAt)'
            }`,
            ExpressionAttributeValues: { ':t': o.taskToken, ':was': answered.taskToken },
          }),
        );
        return { ...answered, taskToken: o.taskToken };
      } catch (e) {
        // Changed since it was read (recorded, handed over, or this very write met again): read again.
        if (!isConditionalCheckFailed(e)) throw e;
      }
    }
    throw new TransientError('an answered link kept changing while a retried step read it');
  }

  /** Faults: the link of this token went out by email (see `repointEmailed`). */
  async markEmailed(tokenHash: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: requestKeys.token(tokenHash),
        UpdateExpression: 'SET emailedAt = :now',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':now': this.clock().toISOString() },
      }),
    );
  }

  /**
   * Faults: a waiting step retried (or resumed after a restart) after its link was emailed gets a
   * new task token, not a second email: the emailed link of the same request, step, purpose and
   * recipient, still open, is pointed at the new task token. Answers it, or undefined when there
   * is none (the step issues and sends a link as usual).
   */
  async repointEmailed(o: {
    requestId: string;
    step: string;
    purpose: TokenPurpose;
    recipientId: string;
    taskToken: string;
  }): Promise<ActionToken | undefined> {
    const open = await this.openEmailedTo(o);
    return open ? this.repointTo(open, o.taskToken) : undefined;
  }

  /** The emailed link of a request's step to `recipientId` that is still open (the first, should there be two). */
  async openEmailedTo(o: {
    requestId: string;
    step: string;
    purpose: TokenPurpose;
    recipientId: string;
  }): Promise<ActionToken | undefined> {
    const now = this.clock().toISOString();
    return (await this.itemsOfRequest(o.requestId))
      .map(tokenEntity.parse)
      .find(
        (t) =>
          t.recipient.id === o.recipientId &&
          t.step === o.step &&
          t.purpose === o.purpose &&
          t.emailedAt !== undefined &&
          t.taskToken !== undefined &&
          !t.usedAt &&
          !t.revokedAt &&
          t.expiresAt > now,
      );
  }

  /** Points an open emailed link (`openEmailedTo`) at `taskToken`; undefined if it was used or revoked meanwhile. */
  private async repointTo(open: ActionToken, taskToken: string): Promise<ActionToken | undefined> {
    if (open.taskToken === taskToken) return open;
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: requestKeys.token(open.tokenHash),
          UpdateExpression: 'SET taskToken = :t',
          ConditionExpression:
            'attribute_exists(pk) AND attribute_not_exists(usedAt) AND attribute_not_exists(revokedAt)',
          ExpressionAttributeValues: { ':t': taskToken },
        }),
      );
    } catch (e) {
      if (isConditionalCheckFailed(e)) return undefined;
      throw e;
    }
    return { ...open, taskToken };
  }

  /** A request's tokens (gsi1): a handful per request, read whole. */
  private itemsOfRequest(requestId: string): Promise<Record<string, unknown>[]> {
    return queryAll(this.db, {
      TableName: this.table,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': requestKeys.tokensOfRequest(requestId) },
    });
  }
}

/**
 * A token just issued is ours if what never changes on it matches: its key is the hash of a secret
 * drawn a moment ago, so no other writer holds it; revoking, re-pointing or emailing it since only
 * changed what they stamp.
 */
const isThisIssue: IsOurWrite = (stored, written) =>
  (['tokenHash', 'requestId', 'step', 'purpose', 'createdAt'] as const).every((k) => stored[k] === written[k]);

const DAY_SECONDS = 86_400;
const epoch = (d: Date) => Math.floor(d.getTime() / 1000);

/**
 * A settled token (not, or no longer, on a sweep queue) is kept a day past its expiry, or past
 * now if later, so a late click still answers 410 rather than 404.
 */
const settledTtl = (expiresAt: Date, now: Date): number => Math.max(epoch(expiresAt), epoch(now)) + DAY_SECONDS;

/**
 * A token on a sweep queue (a waiting step, a stored file) must outlive the sweep's visit: were
 * TTL to delete it first, the step would wait on a link nobody can use and the file would stay.
 * The sweep settles it (see `dequeue`); this far TTL is only the backstop for a sweep long broken.
 */
export const QUEUED_TOKEN_BACKSTOP_DAYS = 30;
const queuedTtl = (expiresAt: Date): number => epoch(expiresAt) + QUEUED_TOKEN_BACKSTOP_DAYS * DAY_SECONDS;
