import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TransientError } from '../../functions/domain/errors.ts';
import { postForm } from '../support/http.ts';
import { expectLetterFollowsResults } from './deletion-letter.ts';
import {
  ADA,
  eventually,
  linkIn,
  OFFICER,
  startTestRuntime,
  submit,
  waitForStatus,
  type TestRuntime,
} from '../support/runtime.ts';

/**
 * The deletion workflow (R8, R19) through the real engine: plan, approval with the whole plan and
 * the systems on the page, the erasure in each system (here the records table alone), and the
 * letters; each blocker, which now makes the deletion wait (status `waiting`, one letter saying
 * what waits and why) instead of completing; a legal hold before and after the plan (R13, R13a);
 * a rejection; a crash in the middle of the erasure and the re-run. The deletion that finishes
 * once its blocker clears is in deletion-waiting.test.ts.
 */
const YUKI = { id: 'P1007', cardNumber: '21234000011007', lastName: 'Tanaka', email: 'yuki.tanaka@example.com' };
const JOSE = { id: 'P1024', cardNumber: '21234000011024', lastName: 'Martínez', email: 'jose.martinez@example.org' };
const MARGARET = {
  id: 'P1025',
  cardNumber: '21234000011025',
  lastName: 'Thompson',
  email: 'margaret.thompson@example.com',
};
const MARIA = { id: 'P1010', cardNumber: '21234000011010', lastName: 'Rivera', email: 'maria.rivera@example.org' };
const HANNAH = {
  id: 'P1023',
  cardNumber: '21234000011023',
  lastName: 'Goldberg',
  email: 'hannah.goldberg@example.com',
};

type Patron = { id: string; cardNumber: string; lastName: string; email: string };
type Outcome = {
  erased: string[];
  anonymised: string[];
  retained: { category: string; reason: string }[];
  systems: { system: string; result: string }[];
};

async function requestDeletion(rt: TestRuntime, p: Patron, n = 1) {
  const { body } = await submit(rt, { kind: 'deletion', cardNumber: p.cardNumber, lastName: p.lastName });
  const verify = await rt.mail.waitFor(p.email, /confirm your privacy request/, n);
  expect(verify.body.text).toContain('delete your data');
  expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
  return body;
}

async function approvalLink(rt: TestRuntime, n: number) {
  return linkIn(await rt.mail.waitFor(OFFICER, /Decision needed on a deletion plan/, n), 'act');
}

/** Everything the patron can see: their mailbox and the status page. */
async function patronView(rt: TestRuntime, p: Patron, statusUrl: string) {
  // Words, not markup: the HTML's tags and styles are stripped.
  const mail = (await rt.mail.to(p.email))
    .map((e) => `${e.subject}\n${e.body.text}\n${(e.body.html ?? '').replace(/<[^>]*>/g, ' ')}`)
    .join('\n');
  const status = await (await fetch(`${rt.baseUrl}${statusUrl}`)).text();
  return `${mail}\n${status}`;
}

describe('deletion workflow', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(async () => rt.cleanup());

  it('R8 full deletion: the approver sees the plan; afterwards nothing re-linkable remains and the card no longer matches', async () => {
    const body = await requestDeletion(rt, YUKI);
    const link = await approvalLink(rt, 1);
    const page = await (await fetch(link)).text();
    expect(page).toContain('Deletion plan');
    expect(page).toMatch(/library-records<\/th><td>Anonymise<\/td><td>2</);
    expect(page).toContain('Privacy Desk records: through its connector'); // R19: the systems it reaches
    expect(await rt.deps.records.getPatron(YUKI.id)).toBeDefined(); // nothing touched before approval
    expect((await postForm(link, { decision: 'approve' })).status).toBe(200);

    const letter = await rt.mail.waitFor(YUKI.email, /deletion request .* is complete/);
    expect(letter.body.text).toContain('your personal details');
    const done = await waitForStatus(rt, body.statusUrl, 'completed');
    const outcome = done.outcome as Outcome;
    expect(outcome.erased).toContain('personal');
    expect(outcome.anonymised).toContain('library-records');
    expect(outcome.retained).toEqual([]);
    expect(outcome.systems).toEqual([{ system: 'Privacy Desk records', result: 'done' }]);
    await expectLetterFollowsResults(rt, body.requestId, letter);

    expect(await rt.deps.records.getPatron(YUKI.id)).toBeUndefined();
    expect(await rt.deps.records.findPatronByCard(YUKI.cardNumber)).toBeUndefined();
    const request = await rt.deps.requests.getOf(body.requestId, 'deletion');
    expect(request.contactEmail).toBeUndefined(); // R16: the address for the letter is gone too
    const events = await rt.deps.audit.list(body.requestId);
    expect((await rt.deps.audit.check(body.requestId)).ok).toBe(true);
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['deletion-planned', 'approval-decided', 'system-answered', 'outcome-sent']),
    );
    expect(JSON.stringify(events)).not.toContain(YUKI.email);

    // A later request with that card ends quietly: no email.
    const before = (await rt.mail.to(YUKI.email)).length;
    const again = await submit(rt, { kind: 'access', cardNumber: YUKI.cardNumber, lastName: YUKI.lastName });
    await rt.engine.whenDone(`local:access:${again.body.requestId}`);
    await eventually(async () =>
      (await rt.deps.requests.get(again.body.requestId)).matched === false ? true : undefined,
    );
    expect((await rt.mail.to(YUKI.email)).length).toBe(before);
  });

  it('R8 items on loan and money owed: the rest goes, the profile, the open loan and the fines stay, and the deletion waits', async () => {
    const body = await requestDeletion(rt, ADA);
    const link = await approvalLink(rt, 2);
    expect((await postForm(link, { decision: 'approve' })).status).toBe(200);
    const done = await waitForStatus(rt, body.statusUrl, 'waiting');
    const outcome = done.outcome as Outcome;
    expect(outcome.systems).toEqual([{ system: 'Privacy Desk records', result: 'waiting' }]);
    expect(outcome.retained).toEqual(
      expect.arrayContaining([
        { category: 'personal', reason: 'items-on-loan' },
        { category: 'payments', reason: 'money-outstanding' },
      ]),
    );
    expect(outcome.erased).toEqual(expect.arrayContaining(['credentials', 'shared-content']));
    const patron = await rt.deps.records.getPatron(ADA.id);
    expect(patron?.lastName).toBe('Lovelace');
    expect(patron?.username).toBeUndefined();
    expect(patron?.passwordHash).toBeUndefined();
    const loans = await rt.deps.records.allRecords(ADA.id, 'LOAN');
    expect(loans.map((l) => l.returnedAt)).toEqual([null]); // only the one still out
    const letter = await rt.mail.waitFor(ADA.email, /deletion request .* is waiting/);
    expect(letter.body.text).toContain('you still have items on loan');
    await expectLetterFollowsResults(rt, body.requestId, letter);
    expect((await rt.mail.to(ADA.email)).filter((e) => /deletion request/.test(e.subject))).toHaveLength(1);
  });

  it('R8 a guarantor of a minor keeps their personal details, and the deletion waits', async () => {
    const body = await requestDeletion(rt, MARIA);
    expect((await postForm(await approvalLink(rt, 3), { decision: 'approve' })).status).toBe(200);
    const done = await waitForStatus(rt, body.statusUrl, 'waiting');
    expect((done.outcome as Outcome).retained).toEqual(
      expect.arrayContaining([{ category: 'personal', reason: 'guarantor-of-minor' }]),
    );
    expect(await rt.deps.records.getPatron(MARIA.id)).toBeDefined();
  });

  it('R13, R13a a legal hold before the request keeps everything, and the patron sees only "legal-obligation"', async () => {
    await rt.deps.holds.place({
      holdId: 'H-test-1',
      patronId: MARGARET.id,
      placedBy: 'counsel@library.example',
      nondisclosure: true,
    });
    const body = await requestDeletion(rt, MARGARET);
    const page = await (await fetch(await approvalLink(rt, 4))).text();
    expect(page).toContain('blocked');
    expect((await postForm(await approvalLink(rt, 4), { decision: 'approve' })).status).toBe(200);
    // R13a: it waits like a deletion waiting on any other blocker.
    const done = await waitForStatus(rt, body.statusUrl, 'waiting');
    const outcome = done.outcome as Outcome;
    expect(outcome.erased).toEqual([]);
    expect(outcome.retained.every((r) => r.reason === 'legal-obligation')).toBe(true);
    expect(await rt.deps.records.getPatron(MARGARET.id)).toBeDefined();
    const letter = await rt.mail.waitFor(MARGARET.email, /deletion request .* is waiting/);
    await expectLetterFollowsResults(rt, body.requestId, letter);
    const seen = (await patronView(rt, MARGARET, body.statusUrl)).toLowerCase();
    for (const word of ['hold', 'court', 'order', 'subpoena', 'warrant', 'counsel'])
      expect(seen).not.toMatch(new RegExp(`\\b${word}`));
  });

  it('R13 a hold placed after the plan was approved stops the erasure before it touches anything', async () => {
    const body = await requestDeletion(rt, JOSE);
    const link = await approvalLink(rt, 5);
    expect(await (await fetch(link)).text()).toContain('full');
    await rt.deps.holds.place({
      holdId: 'H-test-2',
      patronId: JOSE.id,
      placedBy: 'counsel@library.example',
      nondisclosure: false,
    });
    expect((await postForm(link, { decision: 'approve' })).status).toBe(200);
    const done = await waitForStatus(rt, body.statusUrl, 'waiting');
    const outcome = done.outcome as Outcome;
    expect(outcome.erased).toEqual([]);
    expect(outcome.anonymised).toEqual([]);
    expect(outcome.retained).toEqual(expect.arrayContaining([{ category: 'personal', reason: 'legal-obligation' }]));
    expect((await rt.deps.records.allRecords(JOSE.id, 'LOAN')).length).toBe(1);
    expect(await rt.deps.records.getPatron(JOSE.id)).toBeDefined();
  });

  it('a rejected plan ends the request as denied; the patron reads the reason; nothing is deleted', async () => {
    // R7: Maria's deletion above still waits, so a second one of hers would be closed quietly.
    const body = await requestDeletion(rt, HANNAH);
    const link = await approvalLink(rt, 6);
    expect((await postForm(link, { decision: 'reject', reason: 'Please settle this at the desk first.' })).status).toBe(
      200,
    );
    await waitForStatus(rt, body.statusUrl, 'denied');
    const told = await rt.mail.waitFor(HANNAH.email, /was not completed/);
    expect(told.body.text).toContain('Please settle this at the desk first.');
    expect(await rt.deps.records.getPatron(HANNAH.id)).toBeDefined();
  });
});

describe('deletion: a crash in the middle of the erasure', () => {
  let rt: TestRuntime | undefined;
  afterEach(async () => {
    await rt?.cleanup();
    rt = undefined;
  });

  it('R8 the erasure fails part-way, the workflow retries, and the re-run finishes without erasing twice', async () => {
    let writes = 0;
    let crashed = false;
    // The table fails once in the middle of the erasure's writes, as a throttled or dropped call would.
    const crashOnce = (db: DynamoDBDocumentClient): DynamoDBDocumentClient =>
      new Proxy(db, {
        get(target, prop, receiver) {
          if (prop !== 'send') return Reflect.get(target, prop, receiver);
          return async (command: { constructor: { name: string } }) => {
            if (/Write|Delete|Update|Put/.test(command.constructor.name) && ++writes === 3 && !crashed) {
              crashed = true;
              throw new TransientError('connection dropped');
            }
            return (target.send as (c: unknown) => Promise<unknown>)(command);
          };
        },
      });
    rt = await startTestRuntime({ wrapRecordsDb: crashOnce });
    const body = await requestDeletion(rt, YUKI);
    expect((await postForm(await approvalLink(rt, 1), { decision: 'approve' })).status).toBe(200);
    const done = await waitForStatus(rt, body.statusUrl, 'completed');
    expect(crashed).toBe(true);
    expect((done.outcome as Outcome).erased).toContain('personal');
    expect(await rt.deps.records.getPatron(YUKI.id)).toBeUndefined();
    // Exactly the two anonymised loans, not four: the re-run reused the first run's keys.
    const anon = await rt.db.send(
      new (await import('@aws-sdk/lib-dynamodb')).QueryCommand({
        TableName: 'privacy-desk-records',
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': 'ANON#LOAN' },
      }),
    );
    const items = anon.Items ?? [];
    expect(items).toHaveLength(2);
    expect(JSON.stringify(items)).not.toContain(YUKI.id);
    const letters = (await rt.mail.to(YUKI.email)).filter((e) => /is complete/.test(e.subject));
    expect(letters).toHaveLength(1);
  });
});
