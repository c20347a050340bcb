import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import sesLocal from 'aws-ses-v2-local';
import type { FinalizeRequestMiddleware, Pluggable } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient, isConditionalCheckFailed } from '../../functions/adapters/dynamodb/client.ts';
import { SesMailer } from '../../functions/adapters/ses-mailer.ts';
import { ConnectorTransientError } from '../../functions/connectors/port.ts';
import { DeliveryUncertainError, GoneError, TransientError } from '../../functions/domain/errors.ts';
import { putNew } from '../../functions/adapters/dynamodb/conditional-put.ts';
import { TokenStore } from '../../functions/adapters/dynamodb/tokens.ts';
import { SentEmails } from '../../functions/adapters/dynamodb/sent-emails.ts';
import { sendOnce } from '../../functions/app/send-once.ts';
import { FaultInjector, type FaultKind } from '../../functions/lib/faults.ts';
import { useDynalite } from '../support/dynalite.ts';
import { Mailbox } from '../support/runtime.ts';

/**
 * ARCHITECTURE.md (Faults): the chaos run's faults are what the services really answer, injected
 * at the real SDK clients, so the SDK's own retries and our classification handle them as they
 * would in AWS. Each case forces one kind on every call.
 */
const TABLE = 'faults-test';
const dynamo = useDynalite([TABLE]);

const always = (kind: FaultKind, persistent: number) =>
  new FaultInjector({ seed: 1, rate: 1, persistent, kinds: [kind] });

const faultyDb = (faults: FaultInjector) =>
  createDocumentClient({ endpoint: dynamo.endpoint, plugins: [faults.sdkPlugin('DynamoDB')] });

const rejection = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );

type StartSes = (c: { host: string; port: number }) => Promise<Server>;
const sesModule = sesLocal as unknown as StartSes | { default: StartSes };
const startSes = typeof sesModule === 'function' ? sesModule : sesModule.default;
let ses: Server;
let mailUrl: string;
beforeAll(async () => {
  ses = await startSes({ host: '127.0.0.1', port: 0 });
  mailUrl = `http://127.0.0.1:${(ses.address() as AddressInfo).port}`;
});
afterAll(async () => {
  ses.closeAllConnections();
  await new Promise((r) => ses.close(r));
});

describe('fault injection at the SDK clients (Faults)', () => {
  it('the same seed deals the same faults; another seed deals others', async () => {
    const dealt = async (seed: number) => {
      const faults = new FaultInjector({ seed, rate: 0.3 });
      const fetch = faults.fetch(async () => new Response('{}', { status: 200 }), 'ils');
      const out: string[] = [];
      for (let i = 0; i < 200; i++)
        out.push(
          await fetch('http://koha.invalid/').then(
            (r) => String(r.status),
            (e: unknown) => (e as Error).name,
          ),
        );
      return { out, total: faults.total };
    };
    const a = await dealt(7);
    expect(await dealt(7)).toEqual(a);
    expect((await dealt(8)).out).not.toEqual(a.out);
    expect(a.total).toBeGreaterThan(30);
    expect(a.total).toBeLessThan(90);
  });

  it('a DynamoDB throttle that outlasts the SDK retries reaches the caller as TransientError', async () => {
    const faults = always('throttle', 1);
    const db = faultyDb(faults);
    const e = await rejection(db.send(new PutCommand({ TableName: TABLE, Item: { pk: 't', sk: '1' } })));
    expect(e).toBeInstanceOf(TransientError);
    expect((e as Error).message).toBe('DynamoDB: ProvisionedThroughputExceededException');
    // The SDK tried again itself (5 tries against a local endpoint) before giving up.
    expect(faults.injected.get('DynamoDB throttle')).toBe(5);
    db.destroy();
  }, 30_000);

  it('a passing DynamoDB 500 is absorbed by the SDK retry: the call succeeds', async () => {
    const faults = always('server-error', 0);
    const db = faultyDb(faults);
    await db.send(new PutCommand({ TableName: TABLE, Item: { pk: 't', sk: '2' } }));
    expect(faults.injected.get('DynamoDB server-error')).toBe(1);
    db.destroy();
  }, 30_000);

  it('a connection reset after the write: the item is stored, and the SDK retry of a conditional put then fails its condition', async () => {
    const faults = always('reset-after-write', 0);
    const db = faultyDb(faults);
    const e = await rejection(
      db.send(
        new PutCommand({
          TableName: TABLE,
          Item: { pk: 't', sk: '3' },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    expect(isConditionalCheckFailed(e)).toBe(true);
    const stored = await dynamo.db.send(new GetCommand({ TableName: TABLE, Key: { pk: 't', sk: '3' } }));
    expect(stored.Item).toBeDefined();
    db.destroy();
  }, 30_000);

  it('a timeout that outlasts the retries is TransientError, and every try reached the table', async () => {
    const faults = always('timeout', 1);
    const db = faultyDb(faults);
    const e = await rejection(db.send(new PutCommand({ TableName: TABLE, Item: { pk: 't', sk: '4' } })));
    expect(e).toBeInstanceOf(TransientError);
    expect((e as Error).message).toBe('DynamoDB: TimeoutError');
    const stored = await dynamo.db.send(new GetCommand({ TableName: TABLE, Key: { pk: 't', sk: '4' } }));
    expect(stored.Item).toBeDefined();
    db.destroy();
  }, 30_000);

  it('a conditional put whose answer was lost, tried again by the SDK, is recognised as the caller’s own write', async () => {
    const db = faultyDb(always('reset-after-write', 0));
    expect(await putNew(db, TABLE, { pk: 't', sk: '5', version: 1 })).toBe(true);
    // Another writer's item under the key is still a lost race.
    expect(await putNew(dynamo.db, TABLE, { pk: 't', sk: '5', version: 2 })).toBe(false);
    db.destroy();
  }, 30_000);

  it('R7: a link used once, whose answer was lost and tried again by the SDK, is used (not "already used"); a second use is refused', async () => {
    const db = faultyDb(always('reset-after-write', 0));
    const tokens = new TokenStore(db, TABLE);
    const { token } = await new TokenStore(dynamo.db, TABLE).issue({
      purpose: 'verify-identity',
      requestId: '6f1c7c8e-0000-4000-8000-000000000002',
      recipient: { kind: 'patron', id: 'P1001' },
      step: 'verify',
      decisions: ['confirm'],
      ttlSeconds: 3600,
    });
    expect((await tokens.consume(token, 'confirm')).decision).toBe('confirm');
    expect(await rejection(new TokenStore(dynamo.db, TABLE).consume(token, 'confirm'))).toBeInstanceOf(GoneError);
    db.destroy();
  }, 30_000);

  it('R7: a link issued whose answer was lost, tried again by the SDK, is issued (not failed as a clash)', async () => {
    const db = faultyDb(always('reset-after-write', 0));
    const { secret, token } = await new TokenStore(db, TABLE).issue({
      purpose: 'verify-identity',
      requestId: '6f1c7c8e-0000-4000-8000-000000000003',
      recipient: { kind: 'patron', id: 'P1001' },
      step: 'verify',
      decisions: ['confirm'],
      ttlSeconds: 3600,
      taskToken: 'task-token-1',
    });
    // Stored once, and usable: the link a person gets works.
    const stored = await new TokenStore(dynamo.db, TABLE).findUsable(secret);
    expect(stored).toMatchObject({ tokenHash: token.tokenHash, taskToken: 'task-token-1', attempts: 0 });
    db.destroy();
  }, 30_000);

  it('R7: a link issued whose answer was lost, and revoked with its step before the SDK tried again, is still this issue’s (not failed as a clash)', async () => {
    const requestId = '6f1c7c8e-0000-4000-8000-000000000007';
    // Inside the SDK's retry: the put is applied, the step's links are voided (another copy was
    // answered meanwhile), and only then is the answer lost, so the SDK's second try meets the
    // token changed.
    const revokeThenResetOnce: FinalizeRequestMiddleware<object, never> = (next, context) => async (args) => {
      const out = await next(args);
      if (context.commandName === 'PutItemCommand' && !revoked) {
        revoked = await new TokenStore(dynamo.db, TABLE).revokeAll(requestId, 'system:bookings');
        throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104, syscall: 'read' });
      }
      return out;
    };
    const revokeThenReset: Pluggable<object, never> = {
      applyToStack(stack) {
        stack.addRelativeTo(revokeThenResetOnce, {
          relation: 'after',
          toMiddleware: 'retryMiddleware',
          name: 'revokeThenResetTest',
          override: true,
        });
      },
    };
    let revoked = 0;
    const db = createDocumentClient({ endpoint: dynamo.endpoint, plugins: [revokeThenReset as never] });
    const { secret, token } = await new TokenStore(db, TABLE).issue({
      purpose: 'system-task',
      requestId,
      recipient: { kind: 'staff', id: 'bookings@library.example', role: 'staff' },
      step: 'system:bookings',
      decisions: ['done'],
      ttlSeconds: 3600,
      taskToken: 'task-token-7',
    });
    expect(revoked).toBe(1);
    expect(await new TokenStore(dynamo.db, TABLE).find(secret)).toMatchObject({
      tokenHash: token.tokenHash,
      revokedAt: expect.any(String),
    });
    db.destroy();
  }, 30_000);

  it('two tries of one step sending the same email at once send it once; a send that surely failed lets a later try send', async () => {
    await fetch(`${mailUrl}/clear-store`, { method: 'POST' });
    const mailer = new SesMailer('privacy@library.example', { endpoint: mailUrl });
    const sentEmails = new SentEmails(dynamo.db, TABLE);
    const email = { to: ['privacy@library.example'], subject: 'A request failed', text: 't', html: '<p>t</p>' };
    const key = { requestId: '6f1c7c8e-0000-4000-8000-000000000004', purpose: 'failed' };
    const answers = await Promise.all([0, 1, 2].map(() => sendOnce({ mailer, sentEmails }, key, email)));
    expect(answers.filter(Boolean)).toHaveLength(1);
    expect(await new Mailbox(mailUrl).all()).toHaveLength(1);

    // SES throttled past the SDK's retries: nothing went out, so the step's retry sends it.
    const throttled = new SesMailer('privacy@library.example', {
      endpoint: mailUrl,
      plugins: [always('throttle', 1).sdkPlugin('SES')],
    });
    const other = { ...key, purpose: 'report-ready' };
    expect(await rejection(sendOnce({ mailer: throttled, sentEmails }, other, email))).toBeInstanceOf(TransientError);
    expect(await sendOnce({ mailer, sentEmails }, other, email)).toBe(true);
    expect(await sendOnce({ mailer, sentEmails }, other, email)).toBe(false);
    expect(await new Mailbox(mailUrl).all()).toHaveLength(2);
  }, 30_000);

  it('a claim to send whose answer was lost, tried again by the SDK, is still this try’s: the email goes out once', async () => {
    await fetch(`${mailUrl}/clear-store`, { method: 'POST' });
    const mailer = new SesMailer('privacy@library.example', { endpoint: mailUrl });
    const db = faultyDb(always('reset-after-write', 0));
    const sentEmails = new SentEmails(db, TABLE);
    const email = { to: ['privacy@library.example'], subject: 'A request failed', text: 't', html: '<p>t</p>' };
    const key = { requestId: '6f1c7c8e-0000-4000-8000-000000000005', purpose: 'failed' };
    expect(await sendOnce({ mailer, sentEmails }, key, email)).toBe(true);
    expect(await sendOnce({ mailer, sentEmails: new SentEmails(dynamo.db, TABLE) }, key, email)).toBe(false);
    expect(await new Mailbox(mailUrl).all()).toHaveLength(1);
    db.destroy();
  }, 30_000);

  it('a claim to send whose answer was lost and that the SDK did not try again (its retry quota spent) is still this try’s: the email goes out once, and a retry does not wait on it', async () => {
    await fetch(`${mailUrl}/clear-store`, { method: 'POST' });
    const mailer = new SesMailer('privacy@library.example', { endpoint: mailUrl });
    // The first write reaches the table and its connection drops, as the caller sees it after the SDK gave up.
    let dropped = 0;
    const dropFirstPut: Pluggable<object, never> = {
      applyToStack(stack) {
        stack.add(
          (next, context) => async (args) => {
            const out = await next(args);
            if (context.commandName === 'PutItemCommand' && dropped++ === 0)
              throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104, syscall: 'read' });
            return out;
          },
          { step: 'initialize', priority: 'low', name: 'dropFirstPutTest', override: true },
        );
      },
    };
    const db = createDocumentClient({ endpoint: dynamo.endpoint, plugins: [dropFirstPut as never] });
    const sentEmails = new SentEmails(db, TABLE);
    const email = { to: ['privacy@library.example'], subject: 'A request failed', text: 't', html: '<p>t</p>' };
    const key = { requestId: '6f1c7c8e-0000-4000-8000-000000000006', purpose: 'failed' };
    expect(await sendOnce({ mailer, sentEmails }, key, email)).toBe(true);
    expect(dropped).toBeGreaterThan(0);
    expect(await sendOnce({ mailer, sentEmails: new SentEmails(dynamo.db, TABLE) }, key, email)).toBe(false);
    expect(await new Mailbox(mailUrl).all()).toHaveLength(1);
    db.destroy();
  }, 30_000);

  it('SES throttling that outlasts the retries is TransientError and sends nothing', async () => {
    await fetch(`${mailUrl}/clear-store`, { method: 'POST' });
    const mailer = new SesMailer('privacy@library.example', {
      endpoint: mailUrl,
      plugins: [always('throttle', 1).sdkPlugin('SES')],
    });
    const e = await rejection(mailer.send({ to: ['a@example.org'], subject: 's', text: 't', html: '<p>t</p>' }));
    expect((e as Error).message).toBe('SES: TooManyRequestsException');
    expect(await new Mailbox(mailUrl).all()).toHaveLength(0);
  }, 30_000);

  it('SES: a connection reset after the message was handed over is not sent again by the SDK, and a keyed send counts it as sent', async () => {
    await fetch(`${mailUrl}/clear-store`, { method: 'POST' });
    const mailer = new SesMailer('privacy@library.example', {
      endpoint: mailUrl,
      plugins: [always('reset-after-write', 0).sdkPlugin('SES')],
    });
    const email = { to: ['a@example.org'], subject: 'Your records are ready', text: 't', html: '<p>t</p>' };
    const e = await rejection(mailer.send(email));
    expect(e).toBeInstanceOf(DeliveryUncertainError);
    expect((e as Error).name).toBe('TransientError'); // what a step's Retry matches
    expect(await new Mailbox(mailUrl).all()).toHaveLength(1);

    // A step that sends through sendOnce, retried after its email went out, sends nothing more.
    const deps = { mailer, sentEmails: new SentEmails(dynamo.db, TABLE) };
    const key = { requestId: '6f1c7c8e-0000-4000-8000-000000000001', purpose: 'report-ready' };
    expect(await sendOnce(deps, key, email)).toBe(true);
    expect(await sendOnce(deps, key, email)).toBe(false);
    expect(await new Mailbox(mailUrl).all()).toHaveLength(2); // one from the bare send above, one keyed
  }, 30_000);

  it('Koha: a 429 and a reset after the write are transient for the connector', async () => {
    let applied = 0;
    const inner = async () => {
      applied++;
      return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
    };
    const throttled = await always('throttle', 1).fetch(inner, 'ils')('http://koha.invalid/');
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('0');
    const reset = await rejection(always('reset-after-write', 1).fetch(inner, 'ils')('http://koha.invalid/'));
    expect(applied).toBe(1);
    expect(((reset as Error).cause as { code: string }).code).toBe('ECONNRESET');
    expect(ConnectorTransientError).toBeDefined();
  });
});
