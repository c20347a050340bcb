import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InternalServerError } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepDeadlines } from '../../functions/app/sweep-deadlines.ts';
import { TransientError } from '../../functions/domain/errors.ts';
import { systemTaskStep } from '../../functions/domain/system-task.ts';
import { executionOf, expectNoPersonalData } from '../support/executions.ts';
import { localToken, postForm } from '../support/http.ts';
import {
  ADA,
  CIRCULATION,
  eventually,
  linkIn,
  OFFICER,
  OFFICERS,
  startTestRuntime,
  statusOf,
  submit,
  waitForStatus,
  type SentEmail,
  type TestRuntime,
} from '../support/runtime.ts';
import type { Mailer } from '../../functions/adapters/ses-mailer.ts';
import type { TaskFunction } from '../../local/engine.ts';

/**
 * R19: a system without an API is a staff task: every staff member of the system's role gets their
 * own link with the instruction for the request's kind, answered `done` or `could-not` (with a
 * reason). The access workflow on the local engine with the real handlers, dynalite and local SES.
 */

const DEMO_SYSTEMS = fileURLToPath(new URL('../../local/demo-systems.json', import.meta.url));

const EBOOKS = {
  id: 'ebooks',
  type: 'manual',
  name: 'E-book vendor',
  role: 'circulation',
  categories: ['library-records'],
  instructions: { access: 'In the vendor portal, list the loans of the card and attach them.' },
};
const RECORDS = {
  id: 'records',
  type: 'records-table',
  name: 'Privacy Desk records',
  identity: true,
  categories: ['personal', 'residency', 'credentials', 'library-records', 'payments', 'donations', 'shared-content'],
};

const ROOMS = {
  id: 'rooms',
  type: 'manual',
  name: 'Room booking',
  role: 'privacy-officer',
  categories: ['library-records'],
  instructions: { access: 'In the booking system, list the bookings of the card.' },
};

const TASK = /^Task in E-book vendor for request/;

/** The records table and the e-book vendor; `more` adds systems. */
async function systemsFile(dir: string, more: readonly object[] = []): Promise<string> {
  const path = join(dir, `systems-${more.length}.json`);
  await writeFile(path, JSON.stringify({ systems: [RECORDS, EBOOKS, ...more] }));
  return path;
}

/** Submits Ada's access request and confirms it from her email, as she would. */
async function verifiedAccess(rt: TestRuntime, nth = 1) {
  const { body } = await submit(rt, { kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
  const verify = await rt.mail.waitFor(ADA.email, /confirm your privacy request/, nth);
  expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
  return body;
}

/** The task emails of one request, one per address. */
async function tasksOf(rt: TestRuntime, requestId: string, subject: RegExp, to: readonly string[]) {
  const out = new Map<string, SentEmail>();
  for (const address of to)
    out.set(
      address,
      await eventually(
        async () => (await rt.mail.to(address)).find((e) => subject.test(e.subject) && e.subject.includes(requestId)),
        20_000,
        `task to ${address}`,
      ),
    );
  return out;
}

const linkTo = (tasks: Map<string, SentEmail>, address: string) => linkIn(tasks.get(address) as SentEmail, 'act');

function expectNoPatronIn(email: SentEmail) {
  // A link's random secret can spell "Ada" by chance (it once did): the secrets are left out.
  const all = `${email.subject}\n${email.body.text ?? ''}\n${email.body.html ?? ''}`.replace(
    /\/(act|download)\/[A-Za-z0-9_-]+/g,
    '/$1/<secret>',
  );
  for (const v of [ADA.firstName, ADA.lastName, ADA.cardNumber, ADA.email]) expect(all).not.toContain(v);
}

describe('R19 manual systems: staff tasks with done / could-not links', () => {
  let rt: TestRuntime;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'privacy-desk-systems-'));
    rt = await startTestRuntime({ systemsPath: await systemsFile(dir) });
  });
  afterAll(async () => {
    await rt.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('R19 R1: the task goes to every staff member of the role naming the request, not the person; GET changes nothing; done completes the request; the other links are gone', async () => {
    const body = await verifiedAccess(rt);
    const tasks = await tasksOf(rt, body.requestId, TASK, CIRCULATION);
    for (const email of tasks.values()) {
      expect(email.body.text).toContain(body.requestId);
      expect(email.body.text).toContain('(access)');
      expect(email.body.text).toContain(EBOOKS.instructions.access);
      expectNoPatronIn(email); // R1: staff emails name the request, not the person
    }
    expect(await rt.mail.to(OFFICER)).not.toContainEqual(
      expect.objectContaining({ subject: expect.stringMatching(TASK) }),
    );

    // While the task is open the request waits, and its status page says on what (by name, R19).
    const waiting = await waitForStatus(rt, body.statusUrl, 'waiting');
    expect(waiting).toMatchObject({
      systems: [
        { system: 'E-book vendor', result: 'waiting' },
        { system: 'Privacy Desk records', result: 'done' },
      ],
    });
    // The staff queue shows it too, ids and names of systems only (R1).
    const staffToken = await localToken(rt.baseUrl, OFFICER, ['privacy-officer']);
    const queue = (await (
      await fetch(`${rt.baseUrl}/api/staff/requests?status=waiting`, {
        headers: { authorization: `Bearer ${staffToken}` },
      })
    ).json()) as { requests: { requestId: string; systems?: unknown }[] };
    const row = queue.requests.find((q) => q.requestId === body.requestId);
    expect(row?.systems).toEqual([
      { system: 'E-book vendor', result: 'waiting' },
      { system: 'Privacy Desk records', result: 'done' },
    ]);
    expect(JSON.stringify(queue)).not.toContain(ADA.lastName);

    // GET (a mail scanner, or staff reading) shows the instruction and the person, and changes nothing.
    const link = linkTo(tasks, CIRCULATION[0] as string);
    for (let i = 0; i < 2; i++) {
      const page = await fetch(link);
      expect(page.status).toBe(200);
      const text = await page.text();
      expect(text).toContain('Ada Lovelace');
      expect(text).toContain(ADA.cardNumber);
      expect(text).toContain(EBOOKS.instructions.access);
    }
    expect(await rt.deps.systemResults.get(body.requestId, 'ebooks')).toMatchObject({ state: 'pending' });
    expect((await rt.deps.requests.get(body.requestId)).status).toBe('waiting');
    // R1: that read is on the trail, once for the link, naming the fields, never their values.
    const reads = (await rt.deps.audit.list(body.requestId)).filter((e) => e.type === 'staff-read');
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatchObject({
      actor: { kind: 'staff', id: CIRCULATION[0], role: 'circulation' },
      data: { purpose: 'system-task:ebooks', fields: ['name', 'cardNumber'] },
    });

    const done = await postForm(link, { decision: 'done' });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Recorded as done');
    await waitForStatus(rt, body.statusUrl, 'completed');
    await rt.mail.waitFor(ADA.email, /are ready/);
    expect(await rt.deps.systemResults.get(body.requestId, 'ebooks')).toMatchObject({
      state: 'done',
      answeredBy: `${CIRCULATION[0]} (circulation)`,
      answeredAt: expect.any(String),
    });

    // The other staff members' copies of the task no longer work; nor does the used one.
    for (const other of CIRCULATION.slice(1)) {
      expect((await fetch(linkTo(tasks, other))).status).toBe(410);
      expect((await postForm(linkTo(tasks, other), { decision: 'done' })).status).toBe(410);
    }
    expect((await postForm(link, { decision: 'could-not', reason: 'changed my mind' })).status).toBe(410);
    expect(await rt.deps.systemResults.get(body.requestId, 'ebooks')).toMatchObject({ state: 'done' });

    const events = await rt.deps.audit.list(body.requestId);
    expect(events.filter((e) => e.type === 'system-task-sent')).toHaveLength(1);
    expect(events.find((e) => e.type === 'system-answered' && e.actor.kind === 'staff')).toMatchObject({
      actor: { kind: 'staff', id: CIRCULATION[0], role: 'circulation' },
      data: { system: 'ebooks', state: 'done' },
    });
    expect((await rt.deps.audit.check(body.requestId)).ok).toBe(true);
    await rt.engine.whenDone(executionOf('access', body.requestId));
    expect(await rt.engine.status(executionOf('access', body.requestId))).toBe('SUCCEEDED');
    expectNoPersonalData(rt, executionOf('access', body.requestId), [ADA], 'AskSystemStaff');
  });

  it('R19: an empty, oversized or hostile reason is refused and changes nothing; could-not with a reason goes to the privacy officer and the request completes', async () => {
    const body = await verifiedAccess(rt, 2);
    const tasks = await tasksOf(rt, body.requestId, TASK, CIRCULATION);
    const [first, second, third] = CIRCULATION.map((a) => linkTo(tasks, a));

    // Each refusal counts against its link (R7: a few bad tries, then it locks), so they are spread over two links.
    for (const [link, reason] of [
      [second, ''],
      [second, 'x'.repeat(501)],
      [third, 'vendor portal\u0007 down'],
    ] as const) {
      const res = await postForm(link as string, { decision: 'could-not', reason });
      expect(res.status).toBe(400);
    }
    expect((await postForm(third as string, { decision: 'could-not', reason: 'a\u202egnp.exe' })).status).toBe(400);
    expect((await postForm(third as string, { decision: 'could-not', reason: 'y'.repeat(2001) })).status).toBe(400);
    expect((await postForm(first as string, { decision: 'maybe' })).status).toBe(400);
    expect(await rt.deps.systemResults.get(body.requestId, 'ebooks')).toMatchObject({ state: 'pending' });
    expect((await rt.deps.requests.get(body.requestId)).status).toBe('waiting');
    expect((await rt.mail.to(OFFICER)).filter((e) => /Could not be done/.test(e.subject))).toHaveLength(0);

    const reason = 'The vendor portal has no account for this card';
    const res = await postForm(first as string, { decision: 'could-not', reason });
    expect(res.status).toBe(200);
    const told = await rt.mail.waitFor(OFFICER, /Could not be done in E-book vendor/);
    for (const officer of OFFICERS) await rt.mail.waitFor(officer, /Could not be done in E-book vendor/);
    expect(told.body.text).toContain(body.requestId);
    expect(told.body.text).not.toContain(reason); // staff's words stay on the staff desk
    expectNoPatronIn(told);

    await waitForStatus(rt, body.statusUrl, 'completed');
    expect(await rt.deps.systemResults.get(body.requestId, 'ebooks')).toMatchObject({
      state: 'could-not',
      reason,
      answeredBy: `${CIRCULATION[0]} (circulation)`,
    });
    // The reason is kept off the audit trail, like every free-text reason.
    const events = await rt.deps.audit.list(body.requestId);
    expect(JSON.stringify(events)).not.toContain('vendor portal');
    expect(events.find((e) => e.type === 'system-answered' && e.actor.kind === 'staff')?.data).toEqual({
      system: 'ebooks',
      state: 'could-not',
    });
    // The privacy officer reads it on the request's page.
    const staffToken = await localToken(rt.baseUrl, OFFICER, ['privacy-officer']);
    const detail = (await (
      await fetch(`${rt.baseUrl}/api/staff/requests/${body.requestId}`, {
        headers: { authorization: `Bearer ${staffToken}` },
      })
    ).json()) as { systems: unknown[] };
    expect(detail.systems).toContainEqual(
      expect.objectContaining({
        systemId: 'ebooks',
        result: 'could-not',
        reason,
        answeredBy: `${CIRCULATION[0]} (circulation)`,
      }),
    );
    expect((await fetch(second as string)).status).toBe(410);
  });
});

describe('R19 manual systems: a restart, reminders and escalation', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'privacy-desk-systems-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it("R19: a restart while two systems' tasks wait sends no second email, and the links emailed before still work", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'privacy-desk-data-'));
    const systemsPath = await systemsFile(dir, [ROOMS]);
    try {
      const first = await startTestRuntime({ dataDir, systemsPath });
      let body: { requestId: string; statusUrl: string };
      let link: string;
      let roomsLink: string;
      let before: string | undefined;
      try {
        body = await verifiedAccess(first);
        const tasks = await tasksOf(first, body.requestId, TASK, CIRCULATION);
        link = linkTo(tasks, CIRCULATION[1] as string);
        roomsLink = linkTo(await tasksOf(first, body.requestId, /^Task in Room booking/, [OFFICER]), OFFICER);
        before = (await first.deps.systemResults.get(body.requestId, 'ebooks')).waitToken;
        expect(before).toBeDefined();
      } finally {
        await first.cleanup();
      }

      const second = await startTestRuntime({ dataDir, systemsPath });
      try {
        // The Map runs again: the waiting step stores a fresh callback token on the result.
        await eventually(
          async () => {
            const r = await second.deps.systemResults.get(body.requestId, 'ebooks');
            return r.waitToken && r.waitToken !== before ? true : undefined;
          },
          20_000,
          'a fresh callback token',
        );
        expect((await statusOf(second, body.statusUrl)).status).toBe('waiting');
        expect((await second.mail.all()).filter((e) => /^Task in/.test(e.subject))).toHaveLength(0);
        const path = new URL(link).pathname;
        expect((await postForm(`${second.baseUrl}${path}`, { decision: 'done' })).status).toBe(200);
        expect((await statusOf(second, body.statusUrl)).status).toBe('waiting');
        const roomsPath = new URL(roomsLink).pathname;
        expect((await postForm(`${second.baseUrl}${roomsPath}`, { decision: 'done' })).status).toBe(200);
        await waitForStatus(second, body.statusUrl, 'completed');
        expect((await second.mail.all()).filter((e) => /^Task in/.test(e.subject))).toHaveLength(0);
        const events = await second.deps.audit.list(body.requestId);
        expect(events.filter((e) => e.type === 'system-task-sent')).toHaveLength(2);
        expect(await second.deps.systemResults.get(body.requestId, 'ebooks')).toMatchObject({
          state: 'done',
          answeredBy: `${CIRCULATION[1]} (circulation)`,
        });
      } finally {
        await second.cleanup();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  /**
   * The first staff email of the e-book task takes `sendMs` to go out, and the runtime is stopped
   * while it does (`stopGraceMs` as given), then started again on the same data and mail port, as
   * a restarted `npm start` is. Answers who the mail server got a task email for, across both
   * runtimes, once the slow send has ended and the resumed step has run to its end.
   */
  async function restartWhileEmailing(o: { sendMs: number; stopGraceMs?: number }): Promise<string[]> {
    const dataDir = await mkdtemp(join(tmpdir(), 'privacy-desk-data-'));
    const systemsPath = await systemsFile(dir);
    const delivered: string[] = [];
    let slowSending = () => undefined as void;
    const slowSendBegun = new Promise<void>((resolve) => (slowSending = resolve));
    let slowEnded = () => undefined as void;
    const slowSendEnded = new Promise<void>((resolve) => (slowEnded = resolve));
    let slowed = false;
    const recording =
      (slowFirstTask: boolean) =>
      (mailer: Mailer): Mailer => ({
        send: async (email) => {
          const slow = slowFirstTask && !slowed && TASK.test(email.subject);
          if (slow) {
            slowed = true;
            slowSending();
            await new Promise((r) => setTimeout(r, o.sendMs));
          }
          try {
            const answer = await mailer.send(email);
            if (TASK.test(email.subject)) delivered.push(...email.to);
            return answer;
          } finally {
            if (slow) slowEnded();
          }
        },
      });
    try {
      const first = await startTestRuntime({
        dataDir,
        systemsPath,
        wrapMailer: recording(true),
        ...(o.stopGraceMs !== undefined ? { stopGraceMs: o.stopGraceMs } : {}),
      });
      const mailPort = Number(new URL(first.mailUrl).port);
      try {
        await verifiedAccess(first);
        await slowSendBegun;
      } finally {
        await first.cleanup();
      }
      // The Map runs again on the second runtime: its task step's end is what is waited for.
      let resumed = () => undefined as void;
      const resumedStepEnded = new Promise<void>((resolve) => (resumed = resolve));
      const second = await startTestRuntime({
        dataDir,
        systemsPath,
        mailPort,
        wrapMailer: recording(false),
        wrapFunction: (name, fn): TaskFunction =>
          name !== 'task-request-system-task' ? fn : (input, ctx) => fn(input, ctx).finally(resumed),
      });
      try {
        await Promise.all([resumedStepEnded, slowSendEnded]);
        return delivered.sort();
      } finally {
        await second.cleanup();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }

  it('R19: a restart while a task step is still emailing its staff lets the step finish first: nobody is emailed twice', async () => {
    // Longer than the 5 s a stop used to wait for the steps under way.
    expect(await restartWhileEmailing({ sendMs: 7000 })).toEqual([...CIRCULATION].sort());
  });

  it('R19: a step still emailing when the stop has waited long enough sends nothing more, as a process that exited: nobody is emailed twice', async () => {
    // The resumed step sends every copy; the one held past the grace never reaches the mail server.
    expect(await restartWhileEmailing({ sendMs: 3000, stopGraceMs: 500 })).toEqual([...CIRCULATION].sort());
  });

  it('R19: a task step that failed after emailing its staff is tried again without a second email, and the links sent first name the retry', async () => {
    const rt = await startTestRuntime({ systemsPath: await systemsFile(dir) });
    try {
      // The step's last write, its trail event, fails once, as DynamoDB fails past the SDK's retries.
      let failed = 0;
      rt.db.middlewareStack.add(
        (next) => async (args) => {
          if (failed === 0 && JSON.stringify(args.input).includes('system-task-sent')) {
            failed++;
            throw new InternalServerError({
              $metadata: { httpStatusCode: 500, attempts: 3 },
              message: 'Internal server error',
            });
          }
          return next(args);
        },
        { step: 'initialize', name: 'failTheTrailEventOnce' },
      );
      const body = await verifiedAccess(rt);
      const tasks = await tasksOf(rt, body.requestId, TASK, CIRCULATION);
      await eventually(
        async () =>
          (await rt.deps.audit.list(body.requestId)).some((e) => e.type === 'system-task-sent') ? true : undefined,
        20_000,
        'the retried step on the trail',
      );
      expect(failed).toBe(1);
      expect((await rt.mail.all()).filter((e) => TASK.test(e.subject))).toHaveLength(CIRCULATION.length);
      // Each copy emailed by the failed try now names the retry's task, the one its result waits on.
      const { waitToken } = await rt.deps.systemResults.get(body.requestId, 'ebooks');
      for (const recipientId of CIRCULATION) {
        const link = await rt.deps.tokens.openEmailedTo({
          requestId: body.requestId,
          step: systemTaskStep('ebooks'),
          purpose: 'system-task',
          recipientId,
        });
        expect(link?.taskToken).toBe(waitToken);
      }
      expect((await postForm(linkTo(tasks, CIRCULATION[0] as string), { decision: 'done' })).status).toBe(200);
      await waitForStatus(rt, body.statusUrl, 'completed');
    } finally {
      await rt.cleanup();
    }
  });

  it('R7 R19: a verification pressed again after its hand-over was cut short voids only its own link: the tasks sent since still work', async () => {
    const rt = await startTestRuntime({ systemsPath: await systemsFile(dir) });
    try {
      // The answer reaches its step, then marking the link handed over keeps failing (a DynamoDB
      // throttle past the SDK's retries, as the store reports it): the patron is told to try again.
      const tokens = rt.deps.tokens;
      const markHandedOver = tokens.markHandedOver.bind(tokens);
      let failing = true;
      tokens.markHandedOver = async (tokenHash) => {
        if (failing) throw new TransientError('DynamoDB: ProvisionedThroughputExceededException');
        return markHandedOver(tokenHash);
      };
      const { body } = await submit(rt, { kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
      const verify = linkIn(await rt.mail.waitFor(ADA.email, /confirm your privacy request/), 'act');
      expect((await postForm(verify, { decision: 'confirm' })).status).toBeGreaterThanOrEqual(500);
      failing = false;

      // The request went on regardless, and its system's task is out.
      const tasks = await tasksOf(rt, body.requestId, TASK, CIRCULATION);
      await waitForStatus(rt, body.statusUrl, 'waiting');
      // She presses again: her step has moved on, so the link is gone...
      expect((await postForm(verify, { decision: 'confirm' })).status).toBe(410);
      // ...and the staff's links to the step after hers were left alone.
      for (const address of CIRCULATION) expect((await fetch(linkTo(tasks, address))).status).toBe(200);
      expect((await postForm(linkTo(tasks, CIRCULATION[0] as string), { decision: 'done' })).status).toBe(200);
      await waitForStatus(rt, body.statusUrl, 'completed');
      expect((await rt.deps.audit.list(body.requestId)).filter((e) => e.type === 'identity-verified')).toHaveLength(1);
    } finally {
      await rt.cleanup();
    }
  });

  it('R19: a reminder before the link expires, then on lapse the task goes to the privacy officer; the result stays pending and the request waits', async () => {
    let offset = 0;
    const rt = await startTestRuntime({
      systemsPath: await systemsFile(dir),
      clock: () => new Date(Date.now() + offset),
      // This test runs the deadline sweep itself, at the times it sets.
      schedules: [],
    });
    try {
      const body = await verifiedAccess(rt);
      const tasks = await tasksOf(rt, body.requestId, TASK, CIRCULATION);
      const { approvals } = rt.deps.policy;

      // Past the reminder time: each staff member gets a reminder with a fresh link; nothing else changes.
      offset = (approvals.remindAfterHours + 1) * 3_600_000;
      const reminded = await sweepDeadlines(rt.deps);
      expect(reminded.reminded).toBe(CIRCULATION.length);
      const reminders = await tasksOf(rt, body.requestId, /^Reminder: Task in E-book vendor/, CIRCULATION);
      for (const r of reminders.values()) {
        expectNoPatronIn(r);
        expect(r.body.text).toContain(EBOOKS.instructions.access);
      }
      expect((await fetch(linkTo(reminders, CIRCULATION[2] as string))).status).toBe(200);
      expect((await sweepDeadlines(rt.deps)).reminded).toBe(0);
      expect((await rt.mail.all()).filter((e) => /^Escalated:/.test(e.subject))).toHaveLength(0);

      // The links lapse unanswered: the task goes to the privacy officers, once, with the same instruction.
      offset = (approvals.linkTtlHours + 1) * 3_600_000;
      await sweepDeadlines(rt.deps);
      const escalated = await tasksOf(rt, body.requestId, /^Escalated: Task in E-book vendor/, OFFICERS);
      for (const e of escalated.values()) {
        expectNoPatronIn(e);
        expect(e.body.text).toContain(EBOOKS.instructions.access);
        expect(e.body.text).toContain('circulation role');
      }
      await sweepDeadlines(rt.deps);
      expect((await rt.mail.to(OFFICER)).filter((e) => /^Escalated:/.test(e.subject))).toHaveLength(1);
      expect((await rt.deps.audit.list(body.requestId)).filter((e) => e.type === 'system-task-escalated')).toHaveLength(
        1,
      );
      expect(await rt.deps.systemResults.get(body.requestId, 'ebooks')).toMatchObject({ state: 'pending' });
      expect((await statusOf(rt, body.statusUrl)).status).toBe('waiting');
      expect(await rt.engine.status(executionOf('access', body.requestId))).toBe('RUNNING');
      // The lapsed links are gone; the privacy officer's answers the task.
      expect((await fetch(linkTo(tasks, CIRCULATION[0] as string))).status).toBe(410);
      expect((await fetch(linkTo(reminders, CIRCULATION[0] as string))).status).toBe(410);
      expect((await postForm(linkTo(escalated, OFFICER), { decision: 'done' })).status).toBe(200);
      await waitForStatus(rt, body.statusUrl, 'completed');
      expect(await rt.deps.systemResults.get(body.requestId, 'ebooks')).toMatchObject({
        state: 'done',
        answeredBy: `${OFFICER} (privacy-officer)`,
      });
      expect((await fetch(linkTo(escalated, OFFICERS[1] as string))).status).toBe(410);
    } finally {
      await rt.cleanup();
    }
  });
});

describe('R19 the demo systems file (npm start): access with its three manual systems', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ systemsPath: DEMO_SYSTEMS });
  });
  afterAll(async () => rt.cleanup());

  it('R19: every manual system gets its own task, each answered by its own staff, and the request completes only after the last', async () => {
    const body = await verifiedAccess(rt);
    const ebooks = await tasksOf(rt, body.requestId, /^Task in E-book and audiobook vendor/, CIRCULATION);
    const bookings = await tasksOf(rt, body.requestId, /^Task in Room and computer booking/, CIRCULATION);
    const fundraising = await tasksOf(rt, body.requestId, /^Task in Newsletter and fundraising list/, OFFICERS);
    for (const e of [...ebooks.values(), ...bookings.values(), ...fundraising.values()]) expectNoPatronIn(e);
    const status = await waitForStatus(rt, body.statusUrl, 'waiting');
    expect(status).toMatchObject({
      systems: expect.arrayContaining([
        { system: 'Room and computer booking', result: 'waiting' },
        { system: 'E-book and audiobook vendor (OverDrive / Libby)', result: 'waiting' },
        { system: 'Newsletter and fundraising list', result: 'waiting' },
        { system: 'Privacy Desk records', result: 'done' },
      ]),
    });

    // Answering one system leaves the others' links working.
    expect((await postForm(linkTo(ebooks, CIRCULATION[0] as string), { decision: 'done' })).status).toBe(200);
    expect((await fetch(linkTo(bookings, CIRCULATION[0] as string))).status).toBe(200);
    expect((await fetch(linkTo(ebooks, CIRCULATION[1] as string))).status).toBe(410);
    expect((await postForm(linkTo(bookings, CIRCULATION[1] as string), { decision: 'done' })).status).toBe(200);
    expect((await statusOf(rt, body.statusUrl)).status).toBe('waiting');
    expect(
      (await postForm(linkTo(fundraising, OFFICER), { decision: 'could-not', reason: 'The list export is broken' }))
        .status,
    ).toBe(200);
    await waitForStatus(rt, body.statusUrl, 'completed');
    await rt.mail.waitFor(ADA.email, /are ready/);
    const results = await rt.deps.systemResults.list(body.requestId);
    expect(Object.fromEntries(results.map((r) => [r.systemId, r.state]))).toEqual({
      bookings: 'done',
      ebooks: 'done',
      fundraising: 'could-not',
      records: 'done',
    });
    await rt.engine.whenDone(executionOf('access', body.requestId));
    expect(await rt.engine.status(executionOf('access', body.requestId))).toBe('SUCCEEDED');
    expectNoPersonalData(rt, executionOf('access', body.requestId), [ADA], 'AskSystemStaff');
  });
});
