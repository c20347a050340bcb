import { createHash, randomUUID } from 'node:crypto';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { GoneError, NotFoundError } from '../../functions/domain/errors.ts';
import {
  hashSecret,
  isWellFormedSecret,
  newSecret,
  tokenState,
  type ActionToken,
} from '../../functions/domain/tokens.ts';
import { requestKeys, TABLE_KEYS } from '../../functions/adapters/dynamodb/keys.ts';
import {
  QUEUED_TOKEN_BACKSTOP_DAYS,
  TokenStore,
  type IssueTokenInput,
} from '../../functions/adapters/dynamodb/tokens.ts';
import { useDynalite } from '../support/dynalite.ts';

const TABLE = 'requests';
const HOUR = 3600;

/** A clock the test moves by hand. */
function manualClock(start = '2026-03-01T09:00:00.000Z') {
  let t = Date.parse(start);
  const clock = () => new Date(t);
  clock.advance = (seconds: number) => {
    t += seconds * 1000;
  };
  return clock;
}

const verifyInput = (requestId: string, extra: Partial<IssueTokenInput> = {}): IssueTokenInput => ({
  purpose: 'verify-identity',
  requestId,
  recipient: { kind: 'patron', id: 'P1001' },
  step: 'verify',
  decisions: ['confirm'],
  ttlSeconds: 72 * HOUR,
  ...extra,
});

/** Awaits a promise that must reject, and returns what it rejected with. */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('token secrets (R7)', () => {
  it('R7: a secret carries at least 128 bits of randomness in a URL-safe alphabet', () => {
    const s = newSecret();
    expect(s).toMatch(/^[A-Za-z0-9_-]+$/);
    // base64url: 6 bits per character.
    expect(s.length * 6).toBeGreaterThanOrEqual(128);
    expect(isWellFormedSecret(s)).toBe(true);
  });

  it('R7: secrets never repeat', () => {
    const many = new Set(Array.from({ length: 1000 }, () => newSecret()));
    expect(many.size).toBe(1000);
    expect(newSecret()).not.toBe(newSecret());
  });

  it('R7: the stored form is the SHA-256 hex digest of the secret', () => {
    const s = newSecret();
    expect(hashSecret(s)).toBe(createHash('sha256').update(s).digest('hex'));
    expect(hashSecret(s)).not.toContain(s);
  });

  it.each([
    ['empty', ''],
    ['too short', 'abc123'],
    ['31 characters', 'a'.repeat(31)],
    ['65 characters', 'a'.repeat(65)],
    ['path traversal', '../../etc/passwd'],
    ['10,000 characters', 'a'.repeat(10_000)],
    ['unicode', 'é'.repeat(40)],
    ['emoji', '🔑'.repeat(20)],
    ['padding', `${'a'.repeat(40)}==`],
    ['query injection', `${'a'.repeat(40)}?x=1`],
    ['whitespace', ` ${'a'.repeat(40)} `],
    ['newline', `${'a'.repeat(40)}\n`],
  ])('R7: a malformed secret (%s) is not well-formed', (_what, s) => {
    expect(isWellFormedSecret(s)).toBe(false);
  });
});

describe('tokenState (R7)', () => {
  const base: ActionToken = {
    tokenHash: 'h',
    purpose: 'verify-identity',
    requestId: 'r',
    recipient: { kind: 'patron', id: 'P1001' },
    step: 'verify',
    decisions: ['confirm'],
    createdAt: '2026-03-01T09:00:00.000Z',
    expiresAt: '2026-03-04T09:00:00.000Z',
    maxAttempts: 3,
    attempts: 0,
  };
  const before = new Date('2026-03-04T08:59:59.999Z');

  it('R7: usable before expiry, expired from the expiry instant on', () => {
    expect(tokenState(base, before)).toBe('usable');
    expect(tokenState(base, new Date(base.expiresAt))).toBe('expired');
  });

  it('R7: used, revoked and locked tokens are never usable, even before expiry', () => {
    expect(tokenState({ ...base, usedAt: base.createdAt }, before)).toBe('used');
    expect(tokenState({ ...base, revokedAt: base.createdAt }, before)).toBe('revoked');
    expect(tokenState({ ...base, attempts: 3 }, before)).toBe('locked');
    expect(tokenState({ ...base, attempts: 2 }, before)).toBe('usable');
  });
});

describe('TokenStore against dynalite (R7)', () => {
  const dynamo = useDynalite([TABLE]);
  let db: DynamoDBDocumentClient;

  beforeAll(async () => {
    db = dynamo.db;
  });

  const store = (clock = manualClock()) => new TokenStore(db, TABLE, clock);

  it('R7: issue returns a well-formed secret whose hash is the key; the secret itself is stored nowhere', async () => {
    const tokens = store();
    const { secret, token } = await tokens.issue(verifyInput(randomUUID(), { taskToken: 'sfn-task-token' }));
    expect(isWellFormedSecret(secret)).toBe(true);
    expect(token.tokenHash).toBe(hashSecret(secret));

    const raw = await db.send(
      new GetCommand({ TableName: TABLE, Key: requestKeys.token(hashSecret(secret)), ConsistentRead: true }),
    );
    expect(raw.Item).toBeDefined();
    expect(JSON.stringify(raw.Item)).not.toContain(secret);
    expect(raw.Item).toMatchObject({
      tokenHash: hashSecret(secret),
      purpose: 'verify-identity',
      step: 'verify',
      attempts: 0,
      maxAttempts: 3,
    });
  });

  it('R7: the token is bound to its purpose, request, recipient and step', async () => {
    const tokens = store();
    const requestId = randomUUID();
    const { secret } = await tokens.issue(verifyInput(requestId));
    const found = await tokens.find(secret);
    expect(found).toMatchObject({
      purpose: 'verify-identity',
      requestId,
      recipient: { kind: 'patron', id: 'P1001' },
      step: 'verify',
      decisions: ['confirm'],
    });
    // Table keys are not part of the token.
    expect(found).not.toHaveProperty('pk');
    expect(found).not.toHaveProperty('gsi1pk');
  });

  it('R7: a link expires after its TTL (default 72 h): usable just before, GoneError from then on', async () => {
    const clock = manualClock();
    const tokens = store(clock);
    const { secret, token } = await tokens.issue(verifyInput(randomUUID()));
    expect(Date.parse(token.expiresAt) - Date.parse(token.createdAt)).toBe(72 * HOUR * 1000);

    clock.advance(72 * HOUR - 1);
    await expect(tokens.findUsable(secret)).resolves.toMatchObject({ tokenHash: token.tokenHash });
    clock.advance(1);
    const e = await rejection(tokens.findUsable(secret));
    expect(e).toBeInstanceOf(GoneError);
    expect((e as Error).message).toMatch(/expired/);
  });

  it('R7: an expired token cannot be consumed either', async () => {
    const clock = manualClock();
    const tokens = store(clock);
    const { secret } = await tokens.issue(verifyInput(randomUUID()));
    const token = await tokens.findUsable(secret);
    clock.advance(73 * HOUR);
    await expect(tokens.consume(token, 'confirm')).rejects.toBeInstanceOf(GoneError);
  });

  it('R7: consume succeeds once, records the decision, and a second consume throws GoneError', async () => {
    const tokens = store();
    const { secret } = await tokens.issue(verifyInput(randomUUID()));
    const token = await tokens.findUsable(secret);

    const used = await tokens.consume(token, 'confirm');
    expect(used.usedAt).toBeDefined();
    expect(used.decision).toBe('confirm');
    await expect(tokens.consume(token, 'confirm')).rejects.toBeInstanceOf(GoneError);
    await expect(tokens.findUsable(secret)).rejects.toBeInstanceOf(GoneError);
    // The first decision stands.
    expect((await tokens.find(secret)).decision).toBe('confirm');
  });

  it('R7: two concurrent consumes: exactly one wins', async () => {
    const tokens = store();
    const { secret } = await tokens.issue(verifyInput(randomUUID(), { decisions: ['approve', 'reject'] }));
    const token = await tokens.findUsable(secret);

    const results = await Promise.allSettled([tokens.consume(token, 'approve'), tokens.consume(token, 'reject')]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]?.reason).toBeInstanceOf(GoneError);
    const winner = (won[0] as PromiseFulfilledResult<ActionToken>).value;
    expect((await tokens.find(secret)).decision).toBe(winner.decision);
  });

  it('R7: after maxAttempts failed attempts the token is locked', async () => {
    const tokens = store();
    const { secret } = await tokens.issue(verifyInput(randomUUID(), { maxAttempts: 3 }));
    const token = await tokens.findUsable(secret);

    await tokens.recordFailedAttempt(token);
    await tokens.recordFailedAttempt(token);
    await expect(tokens.findUsable(secret)).resolves.toMatchObject({ attempts: 2 });
    await tokens.recordFailedAttempt(token);

    const e = await rejection(tokens.findUsable(secret));
    expect(e).toBeInstanceOf(GoneError);
    expect((e as Error).message).toMatch(/locked/);
    // A locked link cannot be used by a caller holding the token read earlier.
    await expect(tokens.consume(token, 'confirm')).rejects.toBeInstanceOf(GoneError);
  });

  it('R7: maxAttempts defaults to 3', async () => {
    const tokens = store();
    const { token } = await tokens.issue(verifyInput(randomUUID()));
    expect(token.maxAttempts).toBe(3);
  });

  it('R7: a failed attempt on a token that does not exist is refused, not created', async () => {
    const tokens = store();
    const ghost = { tokenHash: hashSecret(newSecret()) } as ActionToken;
    await expect(tokens.recordFailedAttempt(ghost)).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    const raw = await db.send(
      new GetCommand({ TableName: TABLE, Key: requestKeys.token(ghost.tokenHash), ConsistentRead: true }),
    );
    expect(raw.Item).toBeUndefined();
  });

  it('R7: consuming a token that does not exist is GoneError, and creates nothing', async () => {
    const tokens = store();
    const { token } = await tokens.issue(verifyInput(randomUUID()));
    const ghost = { ...token, tokenHash: hashSecret(newSecret()) };
    await expect(tokens.consume(ghost, 'confirm')).rejects.toBeInstanceOf(GoneError);
    const raw = await db.send(
      new GetCommand({ TableName: TABLE, Key: requestKeys.token(ghost.tokenHash), ConsistentRead: true }),
    );
    expect(raw.Item).toBeUndefined();
  });

  it("R7: revokeAll revokes the open tokens of that request only, never another request's nor a download", async () => {
    const tokens = store();
    const requestId = randomUUID();
    const otherRequestId = randomUUID();
    const a = await tokens.issue(verifyInput(requestId));
    const b = await tokens.issue(
      verifyInput(requestId, {
        purpose: 'verify-in-person',
        recipient: { kind: 'staff', id: 'desk@library.example', role: 'circulation' },
        decisions: ['done'],
      }),
    );
    const used = await tokens.issue(verifyInput(requestId));
    await tokens.consume(used.token, 'confirm');
    const download = await tokens.issue(
      verifyInput(requestId, {
        purpose: 'download',
        step: 'deliver',
        decisions: [],
        ttlSeconds: 7 * 24 * HOUR,
        fileKey: 'reports/x.json',
        fileName: 'report.json',
        contentType: 'application/json',
      }),
    );
    const other = await tokens.issue(verifyInput(otherRequestId));

    expect(await tokens.revokeAll(requestId)).toBe(2);

    for (const { secret } of [a, b]) {
      const e = await rejection(tokens.findUsable(secret));
      expect(e).toBeInstanceOf(GoneError);
      expect((e as Error).message).toMatch(/revoked/);
    }
    await expect(tokens.consume(a.token, 'confirm')).rejects.toBeInstanceOf(GoneError);
    // A used token keeps its decision and is not marked revoked.
    const usedNow = await tokens.find(used.secret);
    expect(usedNow.revokedAt).toBeUndefined();
    expect(usedNow.decision).toBe('confirm');
    await expect(tokens.findUsable(download.secret)).resolves.toMatchObject({
      purpose: 'download',
      fileKey: 'reports/x.json',
    });
    await expect(tokens.findUsable(other.secret)).resolves.toMatchObject({ requestId: otherRequestId });

    // Nothing is left to revoke the second time.
    expect(await tokens.revokeAll(requestId)).toBe(0);
  });

  const storedTtl = async (tokenHash: string): Promise<number> => {
    const res = await db.send(new GetCommand({ TableName: TABLE, Key: requestKeys.token(tokenHash) }));
    return Number(res.Item?.[TABLE_KEYS.ttlAttribute]);
  };
  const epochOf = (iso: string) => Math.floor(Date.parse(iso) / 1000);

  it('R7: a plain link is kept one day past its expiry, so a late click answers 410 rather than 404', async () => {
    const { token } = await store().issue(verifyInput(randomUUID()));
    expect(await storedTtl(token.tokenHash)).toBe(epochOf(token.expiresAt) + 86_400);
  });

  it('R7: a link a step waits on outlives its TTL day until the sweep has failed the step, and is kept one day from then', async () => {
    const clock = manualClock();
    const tokens = store(clock);
    const requestId = randomUUID();
    const { token } = await tokens.issue(verifyInput(requestId, { taskToken: 'task-token-1' }));
    expect(await storedTtl(token.tokenHash)).toBe(epochOf(token.expiresAt) + QUEUED_TOKEN_BACKSTOP_DAYS * 86_400);

    // The sweep was late by two days: TTL alone would already have deleted the token and its task token with it.
    clock.advance(72 * HOUR + 2 * 24 * HOUR);
    const queued = (await tokens.expiredCallbacks(1000)).filter((t) => t.requestId === requestId);
    expect(queued.map((t) => t.taskToken)).toEqual(['task-token-1']);
    expect(await storedTtl(token.tokenHash)).toBeGreaterThan(epochOf(clock().toISOString()));

    await tokens.closeCallback(token);
    expect((await tokens.expiredCallbacks(1000)).filter((t) => t.requestId === requestId)).toEqual([]);
    expect(await storedTtl(token.tokenHash)).toBe(epochOf(clock().toISOString()) + 86_400);
  });

  it('R7 R8a: a download link stays queued for the sweep to delete its file; a used or revoked link is kept one day past expiry', async () => {
    const tokens = store();
    const requestId = randomUUID();
    const download = await tokens.issue(
      verifyInput(requestId, {
        purpose: 'download',
        step: 'deliver',
        decisions: [],
        ttlSeconds: 7 * 24 * HOUR,
        fileKey: 'reports/y.zip',
        fileName: 'y.zip',
        contentType: 'application/zip',
      }),
    );
    expect(await storedTtl(download.token.tokenHash)).toBe(
      epochOf(download.token.expiresAt) + QUEUED_TOKEN_BACKSTOP_DAYS * 86_400,
    );

    const approval = await tokens.issue(
      verifyInput(requestId, { purpose: 'approve', decisions: ['approve', 'reject'], taskToken: 'task-token-2' }),
    );
    await tokens.consume(approval.token, 'approve');
    expect(await storedTtl(approval.token.tokenHash)).toBe(epochOf(approval.token.expiresAt) + 86_400);

    const revoked = await tokens.issue(verifyInput(requestId, { taskToken: 'task-token-3' }));
    await tokens.revokeAll(requestId);
    expect(await storedTtl(revoked.token.tokenHash)).toBe(epochOf(revoked.token.expiresAt) + 86_400);
  });

  it('R7: revokeAll of a request with no tokens revokes nothing', async () => {
    expect(await store().revokeAll(randomUUID())).toBe(0);
  });

  it('R7: a leaked table yields no working link: the stored hash used as a secret is NotFoundError', async () => {
    const tokens = store();
    const { token } = await tokens.issue(verifyInput(randomUUID()));
    expect(isWellFormedSecret(token.tokenHash)).toBe(true);
    await expect(tokens.findUsable(token.tokenHash)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('R7: an unknown but well-formed secret is NotFoundError', async () => {
    await expect(store().find(newSecret())).rejects.toBeInstanceOf(NotFoundError);
    await expect(store().findUsable(newSecret())).rejects.toBeInstanceOf(NotFoundError);
  });

  it.each([
    ['empty', ''],
    ['too short', 'abc'],
    ['path traversal', '../../etc/passwd'],
    ['10,000 characters', 'x'.repeat(10_000)],
    ['unicode', 'ñ'.repeat(43)],
    ['null byte', `${'a'.repeat(40)}\u0000`],
  ])('R7: a malformed secret (%s) is NotFoundError without touching the database', async (_what, secret) => {
    // The table does not exist: any database call would fail with ResourceNotFoundException.
    const offline = new TokenStore(db, 'no-such-table', manualClock());
    const e = await rejection(offline.findUsable(secret));
    expect(e).toBeInstanceOf(NotFoundError);
    await expect(offline.find(secret)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('R7: the guard above is real: a well-formed secret against the missing table reaches DynamoDB', async () => {
    const offline = new TokenStore(db, 'no-such-table', manualClock());
    const e = await rejection(offline.find(newSecret()));
    expect(e).not.toBeInstanceOf(NotFoundError);
    expect((e as Error).name).toBe('ResourceNotFoundException');
  });
});
