import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRuntime } from '../../local/runtime.ts';
import { approvalLinkIn, approvalSecretOf, decideApproval, openApproval } from '../support/approvals.ts';
import { localToken, postForm } from '../support/http.ts';
import {
  DEMO_DATASET,
  eventually,
  linkIn,
  Mailbox,
  OFFICER,
  startTestRuntime,
  TEST_SCHEDULES,
  submit,
  waitForStatus,
  type SentEmail,
  type TestRuntime,
} from '../support/runtime.ts';

/**
 * R12 over HTTP, as staff use it: an emailed approval link leads to sign-in; only the person it was
 * sent to, signed in and holding its role, sees the request and decides; anyone else is refused
 * (403) and the attempt audited by ids; the decision records the sign-in's `sub`. When the staff
 * list no longer names someone in the role, their open links are revoked and the step goes to the
 * role's other holders.
 */
const OWEN = 'owen.gallagher@library.example';
const SAM = { cardNumber: '21234000011004', lastName: "O'Brien", email: 'sam.obrien@example.org' };
const PRIYA = { cardNumber: '21234000011003', lastName: 'Natarajan', email: 'priya.natarajan@example.com' };

async function deletionAwaitingApproval(rt: TestRuntime, p: typeof SAM) {
  const { body } = await submit(rt, { kind: 'deletion', cardNumber: p.cardNumber, lastName: p.lastName });
  const verify = await rt.mail.waitFor(p.email, /confirm your privacy request/);
  expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
  await waitForStatus(rt, body.statusUrl, 'awaiting-approval');
  return body;
}

/** The approval email this runtime's mailbox holds for `to` about the request. */
const approvalTo = (rt: TestRuntime, to: string, requestId: string): Promise<SentEmail> =>
  eventually(
    async () =>
      (await rt.mail.to(to)).find(
        (e) => /Decision needed on a deletion plan/.test(e.subject) && e.body.text?.includes(requestId),
      ),
    20_000,
    `approval email to ${to}`,
  );

const subOf = (rt: TestRuntime, jwt: string): string => rt.tokens.verify(`Bearer ${jwt}`)?.sub ?? '';

describe('R12 staff approvals are given signed in', () => {
  let rt: TestRuntime;
  let request: Awaited<ReturnType<typeof deletionAwaitingApproval>>;
  let email: SentEmail;
  beforeAll(async () => {
    rt = await startTestRuntime();
    request = await deletionAwaitingApproval(rt, SAM);
    email = await approvalTo(rt, OFFICER, request.requestId);
  }, 120_000);
  afterAll(async () => rt.cleanup());

  it('R12 the emailed link opens the sign-in page; without sign-in nothing about the request is shown and no decision is taken', async () => {
    const link = approvalLinkIn(email);
    expect(link.startsWith(`${rt.baseUrl}/approval.html#`)).toBe(true);
    expect(email.body.text).toContain('sign in as yourself');
    const secret = approvalSecretOf(link);
    // The same secret under /act (a link from before this change): the way to sign in, nothing else.
    const old = await fetch(`${rt.baseUrl}/act/${secret}`);
    expect(old.status).toBe(200);
    const oldPage = await old.text();
    expect(oldPage).toContain(`/approval.html#${secret}`);
    expect(oldPage).not.toContain(SAM.lastName.replace("'", '&#39;'));
    expect(oldPage).not.toContain('name="decision"');
    const posted = await postForm(`${rt.baseUrl}/act/${secret}`, { decision: 'approve' });
    expect(posted.status).toBe(401);
    expect((await openApproval(rt, link, 'nobody')).status).toBe(401);
    expect((await decideApproval(rt, link, { decision: 'approve' }, 'nobody')).status).toBe(401);
    expect((await rt.deps.requests.get(request.requestId)).status).toBe('awaiting-approval');
    const refused = (await rt.deps.audit.list(request.requestId)).filter((e) => e.type === 'approval-refused');
    expect(refused.map((e) => e.data)).toEqual([{ step: 'deletion-plan', reason: 'not-signed-in' }]);
  });

  it('R12 signed in as another member of staff, or without the role: 403, audited by ids, and the link still works for its recipient', async () => {
    const link = approvalLinkIn(email);
    // Owen holds the same role and has his own copy: this one is still not his.
    const asOwen = { email: OWEN, groups: ['privacy-officer'] };
    const opened = await openApproval(rt, link, asOwen);
    expect(opened.status).toBe(403);
    expect(opened.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await opened.json()) as { title: string; detail: string };
    expect(problem.detail).toContain('sent to another member of staff');
    expect(JSON.stringify(problem)).not.toContain(SAM.lastName);
    expect((await decideApproval(rt, link, { decision: 'approve' }, asOwen)).status).toBe(403);
    // Owen's sign-in without the role the link was sent for (he is also circulation).
    const owenCopy = approvalLinkIn(await approvalTo(rt, OWEN, request.requestId));
    const asDesk = { email: OWEN, groups: ['circulation'] };
    expect((await decideApproval(rt, owenCopy, { decision: 'approve' }, asDesk)).status).toBe(403);

    const owenSub = subOf(rt, await localToken(rt.baseUrl, OWEN, ['circulation']));
    const refused = (await rt.deps.audit.list(request.requestId)).filter(
      (e) => e.type === 'approval-refused' && e.actor.sub,
    );
    expect(refused.map((e) => [e.actor.sub, e.data?.reason])).toEqual([
      [owenSub, 'not-the-recipient'],
      [owenSub, 'not-in-role'],
    ]);
    expect(JSON.stringify(refused)).not.toMatch(new RegExp(`${OWEN}|${SAM.email}|${SAM.cardNumber}`));
    expect((await rt.deps.requests.get(request.requestId)).decisions ?? []).toEqual([]);
    expect((await openApproval(rt, link)).status).toBe(200);
  });

  it('R12 R17 signed in as the recipient: the plan is shown, the decision is accepted, and the sign-in `sub` is recorded with it', async () => {
    const link = approvalLinkIn(email);
    const page = await openApproval(rt, link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('name="decision" value="approve"');
    const decided = await decideApproval(rt, link, { decision: 'approve' });
    expect(decided.status).toBe(200);
    expect(await decided.text()).toContain('Approved.');
    const sub = subOf(rt, await localToken(rt.baseUrl, OFFICER, ['privacy-officer']));
    expect(sub).toMatch(/^local-/);
    const stored = await rt.deps.requests.get(request.requestId);
    expect(stored.decisions).toEqual([
      expect.objectContaining({ byStaffId: OFFICER, bySub: sub, decision: 'approve' }),
    ]);
    const event = (await rt.deps.audit.list(request.requestId)).find((e) => e.type === 'approval-decided');
    expect(event?.actor).toEqual({ kind: 'staff', id: OFFICER, role: 'privacy-officer', sub });
    // Single use: used once, the link is gone, for its recipient too.
    expect((await decideApproval(rt, link, { decision: 'approve' })).status).toBe(410);
  });
});

describe('R12 a person who leaves the role loses their approval links', () => {
  let dir: string;
  let datasetPath: string;
  let rt: TestRuntime | undefined;
  const NEWCOMER = 'rosa.mendes@library.example';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'privacy-desk-departures-'));
    datasetPath = join(dir, 'dataset.json');
    await copyFile(DEMO_DATASET, datasetPath);
  });
  afterAll(async () => {
    await rt?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });
  // As startTestRuntime, but the mailbox is kept: what a reload sends goes out while the runtime starts.
  const start = async (): Promise<TestRuntime> => {
    const runtime = await startRuntime({
      port: 0,
      mailPort: 0,
      filesDir: join(dir, 'files'),
      dataDir: join(dir, 'data'),
      datasetPath,
      retryPauseMs: 20,
      scheduleIntervalMs: 100,
      schedules: TEST_SCHEDULES,
    });
    return { ...runtime, mail: new Mailbox(runtime.mailUrl), cleanup: () => runtime.stop() };
  };

  it('R12 a reload without Owen as privacy officer revokes his open link (refused at use, audited) and sends the step to the role holders without a link', async () => {
    rt = await start();
    const request = await deletionAwaitingApproval(rt, PRIYA);
    const owenLink = approvalLinkIn(await approvalTo(rt, OWEN, request.requestId));
    const danaLink = approvalLinkIn(await approvalTo(rt, OFFICER, request.requestId));
    await rt.cleanup();
    rt = undefined;

    // The library's staff list changes: Owen stays at the circulation desk only; Rosa joins as privacy officer.
    const dataset = JSON.parse(await readFile(datasetPath, 'utf8')) as {
      staff: { email: string; name: string; roles: string[] }[];
    };
    dataset.staff = dataset.staff.map((s) => (s.email === OWEN ? { ...s, roles: ['circulation'] } : s));
    dataset.staff.push({ email: NEWCOMER, name: 'Rosa Mendes', roles: ['privacy-officer'] });
    await writeFile(datasetPath, JSON.stringify(dataset));
    rt = await start();
    const now = rt;

    // The staff list no longer holds Owen as a privacy officer: no sign-in in that role for him.
    expect(await now.deps.records.staffMember('privacy-officer', OWEN)).toBeUndefined();
    expect(await now.deps.records.staffMember('circulation', OWEN)).toBeDefined();
    const revoked = (await now.deps.audit.list(request.requestId)).filter((e) => e.type === 'approval-link-revoked');
    expect(revoked.map((e) => e.data)).toEqual([
      { step: 'deletion-plan', role: 'privacy-officer', to: OWEN, reason: 'left-role' },
    ]);
    expect((await now.deps.tokens.find(approvalSecretOf(owenLink))).revokedAt).toBeDefined();
    expect(
      (await decideApproval(now, owenLink, { decision: 'approve' }, { email: OWEN, groups: ['circulation'] })).status,
    ).toBe(410);
    // Rosa gets the approval; Dana keeps the link she had, and is not sent another.
    const rosaLink = approvalLinkIn(await approvalTo(now, NEWCOMER, request.requestId));
    const toDana = (await now.mail.to(OFFICER)).filter((e) => e.body.text?.includes(request.requestId));
    expect(toDana.filter((e) => /Decision needed/.test(e.subject))).toHaveLength(1);
    expect((await now.deps.audit.list(request.requestId)).some((e) => e.type === 'approval-resent')).toBe(true);
    expect((await openApproval(now, danaLink)).status).toBe(200);
    expect((await decideApproval(now, rosaLink, { decision: 'approve' })).status).toBe(200);
    expect((await now.deps.requests.get(request.requestId)).decisions).toEqual([
      expect.objectContaining({ byStaffId: NEWCOMER, decision: 'approve' }),
    ]);
  });
});
