import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordKeys } from '../../functions/adapters/dynamodb/keys.ts';
import { retentionTaskChain } from '../../functions/app/retention-staff-tasks.ts';
import { isoDateIn } from '../../functions/domain/age.ts';
import { defaultPolicy, policySchema, type Policy } from '../../functions/domain/policy.ts';
import { addDays, retentionTerms, type RetentionKind } from '../../functions/domain/retention.ts';
import { createHandler as startRetention } from '../../functions/handlers/start-retention.ts';
import { emptyPatronReport } from '../support/report.ts';
import { RECORDS_TABLE } from '../../local/runtime.ts';
import { partitionItems, putItems } from '../support/dynalite.ts';
import type { SentEmail, TestRuntime } from '../support/runtime.ts';
import { startRuntimeWithSystems } from '../support/systems.ts';

/**
 * R16, R19, R18: the truth test, system by system. For every category with a period and every
 * configured system that holds it, the report says how the period is enforced there, and the
 * daily run (the real workflow, handlers, dynalite and local SES) does exactly that: the records
 * table's records past their period are anonymised through its connector; each system without an
 * API gets its staff's task, naming the same days the run cuts by, once per `staffTaskEveryDays`
 * and not nightly; Koha, whose API cannot anonymise, gets the same task, sent to the privacy
 * officers, and the run does not reach Koha at all (its address here answers nothing). What the report says is read
 * back from the rendered report, never from a copy of its words.
 */

type Item = Record<string, unknown>;
/** The text as a reader sees it. */
const unescape = (t: string) =>
  t
    .replaceAll('&#39;', "'")
    .replaceAll('&quot;', '"')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
/** Noon in New York: the run's library day is 2026-06-01. */
const RUN_AT = Date.parse('2026-06-01T16:00:00.000Z');
const TZ = 'America/New_York';
const RUN_DAY = isoDateIn(new Date(RUN_AT), TZ);
const DAY = 86_400_000;
const PATRON = 'T-SYS-1';
const EVERY = 9;

const policy: Policy = policySchema.parse({
  ...structuredClone(defaultPolicy),
  retention: {
    ...defaultPolicy.retention,
    loanHistoryDays: 40,
    holdHistoryDays: 71,
    programHistoryDays: 102,
    paymentsYears: 2,
    donationsYears: 3,
    staffTaskEveryDays: EVERY,
  },
});

const SYSTEMS = {
  systems: [
    {
      id: 'records',
      type: 'records-table',
      name: 'Privacy Desk records',
      identity: true,
      categories: ['personal', 'credentials', 'library-records', 'payments', 'donations', 'shared-content'],
    },
    {
      id: 'ils',
      type: 'koha',
      name: 'Koha',
      // Nothing listens here: a run that tried to reach Koha would fail.
      baseUrl: 'http://127.0.0.1:9/api/v1',
      auth: { type: 'basic', userEnv: 'PD_TEST_SYS_KOHA_USER', passwordEnv: 'PD_TEST_SYS_KOHA_PASSWORD' },
      categories: ['personal', 'library-records', 'payments'],
    },
    {
      id: 'ebooks',
      type: 'manual',
      name: 'E-book vendor',
      role: 'circulation',
      categories: ['library-records'],
      instructions: { access: 'List the patron’s e-book loans.' },
    },
    {
      id: 'fundraising',
      type: 'manual',
      name: 'Fundraising list',
      role: 'privacy-officer',
      categories: ['donations', 'personal'],
      instructions: { deletion: 'Delete the donor profile.' },
    },
  ],
};

/** What one run did in each system (`FinishRetention`'s result). */
interface RunSystem {
  systemId: string;
  how: string;
  anonymised?: number;
  staffTask?: string;
  systemJob?: boolean;
}

const at = (day: string) => `${day}T12:00:00-04:00`;

/** A closed record of `kind` dated `day` (its period's start). */
function record(kind: RetentionKind, id: string, day: string): Item {
  const keys = { ...recordKeys.record(PATRON, kind, id), kind, id, patronId: PATRON };
  switch (kind) {
    case 'LOAN':
      return {
        ...keys,
        itemId: 'I-1',
        title: 'T',
        checkedOutAt: at(addDays(day, -14)),
        dueAt: at(day),
        returnedAt: at(day),
      };
    case 'HOLD':
      return { ...keys, title: 'T', placedAt: at(day), status: 'fulfilled' };
    case 'PROGRAM':
      return { ...keys, title: 'T', date: day, attended: true };
    case 'FINE':
      return { ...keys, amount: 2, outstanding: 0, reason: 'late', createdAt: at(day) };
    case 'DONATION':
      return { ...keys, amount: 50, date: day, campaign: 'Appeal' };
  }
}

describe('retention in every system: what the report prints for each system is what the run does (R16, R19, R18)', () => {
  let rt: TestRuntime;
  let offset = RUN_AT - Date.now();
  let html: string;
  let firstRun: RunSystem[];
  let firstMail: SentEmail[];
  /** The library day each kind's records must be before, as the run's plan fixed it. */
  let cutoffs: Record<RetentionKind, string>;

  const run = async (runId: string): Promise<RunSystem[]> => {
    const { executionId } = await startRetention(rt.deps)({ runId, totalSegments: 2 });
    await rt.engine.whenDone(executionId);
    expect(await rt.engine.status(executionId)).toBe('SUCCEEDED');
    const history = rt.engine.history(executionId);
    const plan = history.find((e) => e.type === 'StateExited' && e.state === 'PlanLoanSweep');
    cutoffs = (plan?.output as { plan: { cutoffs: Record<RetentionKind, string> } }).plan.cutoffs;
    const finish = history.find((e) => e.type === 'StateExited' && e.state === 'FinishRetention');
    return (finish?.output as { result: { systems: RunSystem[] } }).result.systems;
  };
  const retentionMail = async () => (await rt.mail.all()).filter((m) => m.subject.startsWith('Retention task in '));

  beforeAll(async () => {
    process.env.PD_TEST_SYS_KOHA_USER = 'privacy-desk';
    process.env.PD_TEST_SYS_KOHA_PASSWORD = 'unused';
    rt = await startRuntimeWithSystems(SYSTEMS, { clock: () => new Date(Date.now() + offset), policy });
    const ago = (kind: RetentionKind, days: number) => {
      const t = retentionTerms(policy).find((x) => x.kind === kind);
      const back = t?.unit === 'days' ? t.amount : (t?.amount ?? 0) * 366;
      return addDays(RUN_DAY, -(back + days));
    };
    await putItems(rt.db, RECORDS_TABLE, [
      { ...recordKeys.patron(PATRON), kind: 'PATRON', id: PATRON, lastName: 'Systems' },
      ...(['LOAN', 'HOLD', 'PROGRAM', 'FINE', 'DONATION'] as const).flatMap((k) => [
        record(k, `${k}-old`, ago(k, 5)),
        record(k, `${k}-new`, addDays(RUN_DAY, -1)),
      ]),
    ]);
    html = emptyPatronReport({
      library: 'Systems Library',
      timezone: TZ,
      at: RUN_AT,
      policy: policy,
      retentionSystems: rt.deps.systems,
    });
    firstRun = await run('systems-1');
    firstMail = await retentionMail();
  }, 120_000);
  afterAll(async () => rt?.cleanup());

  /** Per category section of the report: each system's statement, as printed. */
  function printed(): { category: string; systemId: string; how: string; text: string }[] {
    const out = [];
    for (const section of html.matchAll(/<section id="([a-z-]+)"[\s\S]*?<\/section>/g)) {
      const category = section[1] ?? '';
      for (const li of (section[0] ?? '').matchAll(
        /<li data-retention-system="([^"]+)" data-retention-how="([^"]+)">([^<]*)<\/li>/g,
      ))
        out.push({ category, systemId: li[1] ?? '', how: li[2] ?? '', text: unescape(li[3] ?? '') });
    }
    return out;
  }

  it('R18, R19: every system holding a category with a period has a statement in that category, and only those', () => {
    const got = printed().map((p) => `${p.category}:${p.systemId}`);
    expect(got.sort()).toEqual(
      [
        'library-records:records',
        'payments:records',
        'donations:records',
        'library-records:ils',
        'payments:ils',
        'library-records:ebooks',
        'donations:fundraising',
      ].sort(),
    );
  });

  it('R16, R19: what the report says each system does is what the run did there', () => {
    expect(printed().length).toBeGreaterThan(0);
    for (const p of printed()) {
      const did = firstRun.find((s) => s.systemId === p.systemId);
      expect(did?.how, `${p.systemId}`).toBe(p.how);
    }
  });

  it('R16, R19: "run": the records table’s records past their period were anonymised through its connector', async () => {
    const said = printed().filter((p) => p.how === 'run');
    expect(said.length).toBeGreaterThan(0);
    for (const p of said) expect(p.text).toMatch(/Privacy Desk's daily run anonymises/);
    const left = new Set(
      (await partitionItems(rt.db, RECORDS_TABLE, recordKeys.patronPartition(PATRON))).map((i) => String(i.id)),
    );
    for (const k of ['LOAN', 'HOLD', 'PROGRAM', 'FINE', 'DONATION']) {
      expect(left.has(`${k}-old`), `${k} past its period`).toBe(false);
      expect(left.has(`${k}-new`), `${k} within its period`).toBe(true);
    }
    // The demo dataset's own old records go too.
    expect(firstRun.find((s) => s.systemId === 'records')?.anonymised).toBeGreaterThanOrEqual(5);
  });

  it('R16, R19: Koha, whose API cannot anonymise: the report promises no job it cannot see run; the privacy officers are asked, as for a system without an API, and the run never calls Koha', async () => {
    const said = printed().filter((p) => p.systemId === 'ils');
    expect(said.length).toBeGreaterThan(0);
    for (const p of said) {
      expect(p.how).toBe('staff-task');
      expect(p.text).toContain(`every ${EVERY} days`);
    }
    expect(firstRun.find((s) => s.systemId === 'ils')).toMatchObject({
      systemId: 'ils',
      how: 'staff-task',
      staffTask: 'sent',
    });
    const officers = (await rt.deps.records.staffWithRole('privacy-officer')).map((s) => s.email);
    const mail = firstMail.filter((m) => m.subject === 'Retention task in Koha');
    expect(mail).toHaveLength(1);
    expect([...(mail[0]?.destination.to ?? [])].sort()).toEqual([...officers].sort());
    expect(mail[0]?.body.text).toContain(`returned loans (loan history) dated before ${cutoffs.LOAN} in Koha`);
  });

  it('R16, R19: "staff-task": each manual system’s staff were asked, naming the very days the run cuts by', async () => {
    const said = printed().filter((p) => p.how === 'staff-task');
    expect([...new Set(said.map((p) => p.systemId))].sort()).toEqual(['ebooks', 'fundraising', 'ils']);
    // The report's cadence is the run's.
    for (const p of said) expect(p.text).toContain(`every ${EVERY} days`);
    const ask = async (role: 'circulation' | 'privacy-officer', name: string) => {
      const staff = (await rt.deps.records.staffWithRole(role)).map((s) => s.email);
      const mail = firstMail.filter((m) => m.subject === `Retention task in ${name}`);
      expect(mail, name).toHaveLength(1);
      expect([...(mail[0]?.destination.to ?? [])].sort()).toEqual([...staff].sort());
      return mail[0]?.body.text ?? '';
    };
    const ebooks = await ask('circulation', 'E-book vendor');
    for (const k of ['LOAN', 'HOLD', 'PROGRAM'] as const) expect(ebooks).toContain(`dated before ${cutoffs[k]}`);
    expect(ebooks).not.toContain(`dated before ${cutoffs.DONATION}`);
    const fundraising = await ask('privacy-officer', 'Fundraising list');
    expect(fundraising).toContain(`gifts (donation records) dated before ${cutoffs.DONATION}`);
    // The purge is off by default: nobody is asked to delete expired accounts.
    expect(fundraising).not.toMatch(/card expired/);
    // The same days the run anonymised by: the old records went, the new ones stayed (above).
    expect(firstRun.filter((s) => s.how === 'staff-task').map((s) => s.staffTask)).toEqual(['sent', 'sent', 'sent']);
    const events = await rt.deps.audit.list(retentionTaskChain('ebooks'));
    expect(events.map((e) => e.type)).toEqual(['retention-task-sent']);
  });

  it(`R16, R19: the staff task comes once per ${EVERY} days, not nightly`, async () => {
    const periodStart = (t: number) => Math.floor(t / DAY / EVERY);
    // Nights until the period ends: no second task.
    const now = RUN_AT;
    let nights = 1;
    while (periodStart(now + nights * DAY) === periodStart(now)) {
      offset = RUN_AT + nights * DAY - Date.now();
      const again = await run(`systems-night-${nights}`);
      expect(again.filter((s) => s.how === 'staff-task').map((s) => s.staffTask)).toEqual([
        'already-sent',
        'already-sent',
        'already-sent',
      ]);
      nights++;
      if (nights > 3) break; // a few nights are enough to show it; the period math is the same after
    }
    expect(await retentionMail()).toHaveLength(firstMail.length);
    // The first night of the next period: the task again.
    const next = (periodStart(RUN_AT) + 1) * EVERY * DAY + 16 * 3_600_000;
    offset = next - Date.now();
    const later = await run('systems-next');
    expect(later.filter((s) => s.how === 'staff-task').map((s) => s.staffTask)).toEqual(['sent', 'sent', 'sent']);
    expect(await retentionMail()).toHaveLength(firstMail.length * 2);
  });
});
