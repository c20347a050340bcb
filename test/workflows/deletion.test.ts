import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BLOCKER_REASONS } from '../../functions/domain/deletion-outcome.ts';
import { HELD_REASON } from '../../functions/domain/deletion-plan.ts';
import { TransientError } from '../../functions/domain/errors.ts';
import { REASON_WORDS } from '../../functions/render/deletion-letters.ts';
import { approvalLinkIn, decideApproval, openApproval } from '../support/approvals.ts';
import { postForm } from '../support/http.ts';
import { expectLetterFollowsResults } from './deletion-letter.ts';
import {
  ADA,
  DEMO_DATASET,
  eventually,
  linkIn,
  OFFICER,
  startTestRuntime,
  submit,
  waitForStatus,
  type SentEmail,
  type StatusView,
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
  return approvalLinkIn(await rt.mail.waitFor(OFFICER, /Decision needed on a deletion plan/, n));
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
    const page = await (await openApproval(rt, link)).text();
    expect(page).toContain('Deletion plan');
    expect(page).toMatch(/library-records<\/th><td>Anonymise<\/td><td>2</);
    expect(page).toContain('Privacy Desk records: through its connector'); // R19: the systems it reaches
    expect(await rt.deps.records.getPatron(YUKI.id)).toBeDefined(); // nothing touched before approval
    expect((await decideApproval(rt, link, { decision: 'approve' })).status).toBe(200);

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
    expect((await decideApproval(rt, link, { decision: 'approve' })).status).toBe(200);
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
    expect((await decideApproval(rt, await approvalLink(rt, 3), { decision: 'approve' })).status).toBe(200);
    const done = await waitForStatus(rt, body.statusUrl, 'waiting');
    expect((done.outcome as Outcome).retained).toEqual(
      expect.arrayContaining([{ category: 'personal', reason: 'guarantor-of-minor' }]),
    );
    expect(await rt.deps.records.getPatron(MARIA.id)).toBeDefined();
  });

  it('R13, R13a a legal hold before the request keeps everything, and the patron sees only the reason an ordinary blocker gives', async () => {
    await rt.deps.holds.place({
      holdId: 'H-test-1',
      patronId: MARGARET.id,
      placedBy: 'counsel@library.example',
      nondisclosure: true,
    });
    const body = await requestDeletion(rt, MARGARET);
    const page = await (await openApproval(rt, await approvalLink(rt, 4))).text();
    expect(page).toContain('blocked');
    expect((await decideApproval(rt, await approvalLink(rt, 4), { decision: 'approve' })).status).toBe(200);
    // R13a: it waits like a deletion waiting on any other blocker.
    const done = await waitForStatus(rt, body.statusUrl, 'waiting');
    const outcome = done.outcome as Outcome;
    expect(outcome.erased).toEqual([]);
    expect(outcome.retained.every((r) => r.reason === HELD_REASON)).toBe(true);
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
    expect(await (await openApproval(rt, link)).text()).toContain('full');
    await rt.deps.holds.place({
      holdId: 'H-test-2',
      patronId: JOSE.id,
      placedBy: 'counsel@library.example',
      nondisclosure: false,
    });
    expect((await decideApproval(rt, link, { decision: 'approve' })).status).toBe(200);
    const done = await waitForStatus(rt, body.statusUrl, 'waiting');
    const outcome = done.outcome as Outcome;
    expect(outcome.erased).toEqual([]);
    expect(outcome.anonymised).toEqual([]);
    expect(outcome.retained).toEqual(expect.arrayContaining([{ category: 'personal', reason: HELD_REASON }]));
    expect((await rt.deps.records.allRecords(JOSE.id, 'LOAN')).length).toBe(1);
    expect(await rt.deps.records.getPatron(JOSE.id)).toBeDefined();
  });

  it('a rejected plan ends the request as denied; the patron reads the reason; nothing is deleted', async () => {
    // R7: Maria's deletion above still waits, so a second one of hers would be closed quietly.
    const body = await requestDeletion(rt, HANNAH);
    const link = await approvalLink(rt, 6);
    expect(
      (await decideApproval(rt, link, { decision: 'reject', reason: 'Please settle this at the desk first.' })).status,
    ).toBe(200);
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
    expect((await decideApproval(rt, await approvalLink(rt, 1), { decision: 'approve' })).status).toBe(200);
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

describe('deletion: a sealed hold looks like an ordinary blocker', () => {
  /**
   * Two patrons alike in everything the patron sees (one item still on loan, nothing else): one
   * deletion waits on the loan, the other on a hold whose order forbids notice. Added to the demo
   * dataset so nothing else about them differs.
   */
  const twin = (n: number) => ({
    id: `P900${n}`,
    cardNumber: `2123400009900${n}`,
    firstName: 'Twin',
    lastName: `Example${n}`,
    dateOfBirth: '1980-01-01',
    email: `twin${n}@example.org`,
    address: { street: '1 Main St', city: 'Greenwich', state: 'CT', postalCode: '06830' },
    enrolledOn: '2024-01-01',
    expiresOn: '2028-01-01',
  });
  const LOANED = twin(1);
  const HELD = twin(2);
  const loanOf = (p: { id: string }, n: number) => ({
    id: `L990${n}`,
    patronId: p.id,
    itemId: `I990${n}`,
    title: 'Middlemarch',
    branch: 'Main Library',
    checkedOutAt: '2026-11-20T10:00:00-05:00',
    dueAt: '2026-12-11T23:59:59-05:00',
    returnedAt: null,
  });
  let rt: TestRuntime;
  let dir: string;
  beforeAll(async () => {
    const demo = JSON.parse(await readFile(DEMO_DATASET, 'utf8')) as { patrons: unknown[]; loans: unknown[] };
    dir = await mkdtemp(join(tmpdir(), 'privacy-desk-twins-'));
    const datasetPath = join(dir, 'dataset.json');
    await writeFile(
      datasetPath,
      JSON.stringify({
        ...demo,
        patrons: [...demo.patrons, LOANED, HELD],
        loans: [...demo.loans, loanOf(LOANED, 1), loanOf(HELD, 2)],
      }),
    );
    rt = await startTestRuntime({ datasetPath });
  });
  afterAll(async () => {
    await rt.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('R13a, R8 a deletion held by a sealed order reads like one waiting on a loan: status page, letters and outcome, field by field', async () => {
    await rt.deps.holds.place({
      holdId: 'H-twin',
      patronId: HELD.id,
      placedBy: 'counsel@library.example',
      nondisclosure: true,
    });
    type View = { body: { requestId: string; statusUrl: string }; status: StatusView; mail: SentEmail[] };
    const views: View[] = [];
    for (const [n, p] of [LOANED, HELD].entries()) {
      const body = await requestDeletion(rt, p);
      expect((await decideApproval(rt, await approvalLink(rt, n + 1), { decision: 'approve' })).status).toBe(200);
      const status = await waitForStatus(rt, body.statusUrl, 'waiting');
      const letter = await rt.mail.waitFor(p.email, /deletion request .* is waiting/);
      await expectLetterFollowsResults(rt, body.requestId, letter);
      views.push({ body, status, mail: await rt.mail.to(p.email) });
    }
    const [loaned, held] = views as [View, View];

    // The reason the held deletion gives must be one an ordinary blocker gives too.
    const heldReasons = new Set((held.status.outcome as Outcome).retained.map((r) => r.reason));
    const ordinary = new Set(
      Object.entries(BLOCKER_REASONS)
        .filter(([kind]) => kind !== 'hold')
        .map(([, reason]) => reason as string),
    );
    for (const reason of heldReasons) expect(ordinary, `${reason} is given by an ordinary blocker`).toContain(reason);

    // Everything else, field by field: the blocker's reason and words masked, and each request's own id, card and name.
    const mask = (text: string, p: Patron, requestId: string) => {
      let out = text.replaceAll(requestId, '<request>').replaceAll(p.email, '<email>').replaceAll(p.lastName, '<name>');
      for (const reason of ['items-on-loan', ...heldReasons])
        out = out.replaceAll(reason, '<reason>').replaceAll(REASON_WORDS[reason] ?? reason, '<reason>');
      // The links' secrets, and when each was made: the two requests are a few seconds apart.
      return out
        .replace(/\/act\/[A-Za-z0-9_-]+/g, '/act/<token>')
        .replace(/\d{4}-\d{2}-\d{2}T[\d:.]+Z/g, '<instant>')
        .replace(/\d{1,2}:\d{2} [AP]M/g, '<time>');
    };
    const seen = (v: View, p: Patron) => ({
      status: JSON.parse(mask(JSON.stringify(v.status), p, v.body.requestId)) as unknown,
      mail: v.mail.map((e) => ({
        subject: mask(e.subject, p, v.body.requestId),
        text: mask(e.body.text ?? '', p, v.body.requestId),
        html: mask(e.body.html ?? '', p, v.body.requestId),
      })),
    });
    const a = seen(loaned, LOANED);
    const b = seen(held, HELD);
    expect(b.status).toEqual(a.status);
    expect(b.mail.map((m) => m.subject)).toEqual(a.mail.map((m) => m.subject));
    expect(b.mail).toEqual(a.mail);
  });
});
