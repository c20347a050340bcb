import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { AuditLog } from '../../functions/adapters/dynamodb/audit.ts';
import { RequestStore } from '../../functions/adapters/dynamodb/requests.ts';
import { SystemResults } from '../../functions/adapters/dynamodb/system-results.ts';
import { TokenStore } from '../../functions/adapters/dynamodb/tokens.ts';
import { seeded } from '../../functions/lib/faults.ts';
import { AUDIT_TABLE, startRuntime, REQUESTS_TABLE, type Runtime } from '../../local/runtime.ts';
import { SCHEDULES } from '../../workflows/index.ts';
import { approvalLinkIn, approvalSecretOf } from '../support/approvals.ts';
import { DEMO_DATASET, linkIn, Mailbox, type SentEmail } from '../support/runtime.ts';

/**
 * The chaos run (issue 14; ARCHITECTURE.md, Faults; R5, R17): requests of every kind a person can
 * make through the public API, submitted at once to the local runtime over HTTP while a seeded
 * share of the handlers' calls to DynamoDB, SES and the files store fail as those services fail,
 * and the runtime is stopped and started at random moments. People are played by an agent that
 * reads the local mailbox and follows each emailed link as its addressee would (confirm, consent,
 * approve, a manual system's task done), trying again when a page answers 5xx or the server is down.
 *
 * Court orders are left out: they are made by counsel signed in, not through the public API.
 */
export const CHAOS_KINDS = [
  'access',
  'export',
  'deletion',
  'correction',
  'outreach-opt-out',
  'guardian-access',
  'third-party',
] as const;
export type ChaosKind = (typeof CHAOS_KINDS)[number];

export interface ChaosOptions {
  requests: number;
  /** The share of calls that fail (0..1). */
  faultRate: number;
  restarts: number;
  seed: number;
  /** Give up waiting for the requests to end after this long. */
  timeoutMs: number;
  progress?: (line: string) => void;
}

export interface ChaosReport {
  requests: number;
  completed: number;
  /** Emails sent twice, audit events doubled, system answers recorded twice. */
  duplicates: number;
  /** Requests that did not reach their terminal status. */
  lost: number;
  chainFailures: number;
  piiHits: number;
  restarts: number;
  injectedFaults: number;
  /** What the counts are made of, for a failing run's message. */
  details: {
    notCompleted: {
      requestId: string;
      kind: string;
      status: string;
      lastEvents: string[];
      error?: string;
      failedStates?: string[];
      /** Each system's state (ids only), and each link of the request: what it is for and where it stands. */
      systems?: string[];
      links?: string[];
    }[];
    duplicateEmails: { to: string; subject: string; times: number }[];
    doubledEvents: { requestId: string; type: string; times: number }[];
    brokenChains: { requestId: string; reason: string }[];
    missingEvents: { requestId: string; type: string }[];
    /** Workflows still running when the run's time was up (their requests' status set, their last step not ended). */
    stillRunning: string[];
    piiFound: { where: string; value: string }[];
    faults: Record<string, number>;
    submitRetries: number;
    /** Submissions whose answer never came, tried again, and closed quietly as repeats (R7). */
    quietRepeats: number;
    /** Submissions answered 409 (see above). */
    submitConflicts: number;
    linkRetries: number;
    /** Links the agent gave up on after LINK_PATIENCE_MS of errors: a request left open by one is the agent's, not the runtime's. */
    abandonedLinks: AbandonedLink[];
    /** How much the R5 scan read: characters of logs and of execution histories and checkpoints. */
    scanned: { logs: number; executions: number };
  };
}

const SYSTEMS = fileURLToPath(new URL('../../local/demo-systems.json', import.meta.url));
const OFFICER = 'privacy@library.example';
/** A link the agent stopped pressing: its email's subject, its last answer (0: no answer), how long it kept at it. */
interface AbandonedLink {
  subject: string;
  lastStatus: number;
  tries: number;
  seconds: number;
}

/** How long the agent keeps pressing a link that answers errors or nothing (a restart under load can take tens of seconds). */
const LINK_PATIENCE_MS = 5 * 60_000;
const DESK = 'circulation@library.example';

/** Letters only, so a name is a name: 0 → "Aa", 1 → "Ab", … */
const letters = (n: number): string => {
  let s = '';
  let v = n;
  for (let i = 0; i < 3; i++) {
    s = String.fromCharCode(97 + (v % 26)) + s;
    v = Math.floor(v / 26);
  }
  return s;
};

interface Person {
  id: string;
  cardNumber: string;
  firstName: string;
  lastName: string;
  email?: string;
  phone: string;
  dateOfBirth: string;
  guarantorIds: string[];
}

interface Planned {
  kind: ChaosKind;
  body: Record<string, unknown>;
  /** Every personal value the request involves, for the R5 scan. */
  named: string[];
}

/** One patron per request (two for a guardian's), so that no request is a repeat of another (R7). */
function plan(count: number): { patrons: Person[]; planned: Planned[] } {
  const patrons: Person[] = [];
  const planned: Planned[] = [];
  const person = (adult: boolean, guarantorIds: string[] = []): Person => {
    const n = patrons.length;
    const p: Person = {
      id: `C${String(n).padStart(5, '0')}`,
      cardNumber: `29990${String(n).padStart(9, '0')}`,
      firstName: `Quorra${letters(n)}`,
      lastName: `Vantablick${letters(n + 7)}`,
      ...(adult ? { email: `chaos.patron.${n}@example.net` } : {}),
      phone: `+1203777${String(n).padStart(4, '0')}`,
      dateOfBirth: adult ? '1984-03-02' : '2019-06-11',
      guarantorIds,
    };
    patrons.push(p);
    return p;
  };
  const ident = (p: Person) => ({ cardNumber: p.cardNumber, lastName: p.lastName });
  const values = (p: Person) => [p.cardNumber, p.firstName, p.lastName, p.phone, ...(p.email ? [p.email] : [])];
  for (let i = 0; i < count; i++) {
    const kind = CHAOS_KINDS[i % CHAOS_KINDS.length] as ChaosKind;
    const p = person(true);
    switch (kind) {
      case 'guardian-access': {
        const child = person(false, [p.id]);
        planned.push({
          kind,
          body: { kind, guardian: ident(p), child: ident(child) },
          named: [...values(p), ...values(child)],
        });
        break;
      }
      case 'third-party': {
        const requester = { name: `Thaddeus Quillfeather${letters(i)}`, email: `chaos.third.${i}@lawfirm.example` };
        planned.push({
          kind,
          body: {
            kind,
            requester: { ...requester, organization: 'Quillfeather Lettings' },
            patron: ident(p),
            categories: ['library-records'],
            purpose: 'Tenancy reference: proof of library membership.',
          },
          named: [...values(p), requester.name, requester.email],
        });
        break;
      }
      case 'correction':
        planned.push({
          kind,
          body: {
            kind,
            ...ident(p),
            changes: {
              address: { street: `${i + 1} Chaos Lane`, city: 'Greenwich', state: 'CT', postalCode: '06830' },
            },
          },
          named: values(p),
        });
        break;
      default:
        planned.push({ kind, body: { kind, ...ident(p) }, named: values(p) });
    }
  }
  return { patrons, planned };
}

/** The demo library and staff, and the run's patrons with a returned loan and a program each. */
async function writeDataset(dir: string, patrons: Person[]): Promise<string> {
  const demo = JSON.parse(await readFile(DEMO_DATASET, 'utf8')) as { library: unknown; staff: unknown };
  const dataset = {
    library: demo.library,
    staff: demo.staff,
    patrons: patrons.map((p) => ({
      ...p,
      address: { street: '9 Old Road', city: 'Greenwich', state: 'CT', postalCode: '06830' },
    })),
    loans: patrons.map((p, i) => ({
      id: `CL${i}`,
      patronId: p.id,
      itemId: `CI${i}`,
      title: 'A Book Returned Long Ago',
      branch: 'Main Library',
      checkedOutAt: '2026-01-05T10:00:00-05:00',
      dueAt: '2026-01-26T23:59:59-05:00',
      returnedAt: '2026-01-20T12:00:00-05:00',
    })),
    programs: patrons.map((p, i) => ({
      id: `CE${i}`,
      patronId: p.id,
      title: 'Chess Club',
      date: '2026-02-07',
      attended: true,
    })),
  };
  const path = join(dir, 'dataset.json');
  await writeFile(path, JSON.stringify(dataset));
  return path;
}

/** What the agent does with an emailed link, by subject and addressee: what each person would press. */
function decisionFor(email: SentEmail): Record<string, string> | undefined {
  const to = email.destination.to;
  const s = email.subject;
  if (s.startsWith('Reminder: ')) return undefined; // the first email's link is the one answered
  if (/Please confirm your privacy request/.test(s)) return { decision: 'confirm' };
  // R14: a third party first confirms the address they typed.
  if (/Please confirm your email address for your request/.test(s)) return { decision: 'confirm' };
  if (/Written permission asked/.test(s)) return { decision: 'consent' };
  if (/A parent or guardian asked to see your library records/.test(s)) return { decision: 'consent' };
  if (/^Decision needed on/.test(s) && to.includes(OFFICER)) return { decision: 'approve' };
  // A manual system's task goes to everyone of its role: the first of the desk or the officer answers.
  if (/^Task in .* for request/.test(s) && (to.includes(DESK) || to.includes(OFFICER))) return { decision: 'done' };
  return undefined;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fetch that the agent may try again: a network error (the runtime is restarting) is an answer of 0. */
async function tryFetch(url: string, init?: RequestInit): Promise<{ status: number; text: string }> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
    return { status: res.status, text: await res.text() };
  } catch {
    return { status: 0, text: '' };
  }
}

const TERMINAL = new Set(['completed', 'rejected', 'expired', 'failed', 'cancelled']);

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const say = o.progress ?? (() => undefined);
  const random = seeded(o.seed ^ 0x5eed);
  const dir = await mkdtemp(join(tmpdir(), 'privacy-desk-chaos-'));
  const { patrons, planned } = plan(o.requests);
  const datasetPath = await writeDataset(dir, patrons);

  // Everything the handlers log, for the R5 scan.
  const logged: string[] = [];
  const writes = { out: process.stdout.write, err: process.stderr.write };
  const capture =
    (original: typeof process.stdout.write) =>
    (chunk: unknown, ...rest: unknown[]): boolean => {
      logged.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      void original;
      void rest;
      return true;
    };
  process.stdout.write = capture(writes.out) as typeof process.stdout.write;
  process.stderr.write = capture(writes.err) as typeof process.stderr.write;

  const histories: string[] = [];
  const tracked: { requestId: string; kind: ChaosKind }[] = [];
  let faultsInjected = 0;
  const faultCounts: Record<string, number> = {};
  let port = 0;
  let mailPort = 0;
  const start = async (n: number): Promise<Runtime> => {
    const rt = await startRuntime({
      port,
      mailPort,
      dataDir: join(dir, 'data'),
      filesDir: join(dir, 'data', 'files'),
      datasetPath,
      systemsPath: SYSTEMS,
      retryPauseMs: 50,
      scheduleIntervalMs: 500,
      sweepIntervalMs: 1000,
      schedules: SCHEDULES.map((s) => s.fn).filter((fn) => fn !== 'start-retention'),
      logLevel: 'INFO',
      faults: { seed: o.seed + n, rate: o.faultRate },
    });
    port = Number(new URL(rt.baseUrl).port);
    mailPort = Number(new URL(rt.mailUrl).port);
    return rt;
  };
  const stop = async (rt: Runtime) => {
    // The engine's in-memory histories (every state entered and left, inputs and outputs).
    for (const t of tracked) histories.push(JSON.stringify(rt.engine.history(`local:${t.kind}:${t.requestId}`)));
    for (const [, f] of rt.faults?.injected ?? []) faultsInjected += f;
    for (const [k, f] of rt.faults?.injected ?? []) faultCounts[k] = (faultCounts[k] ?? 0) + f;
    await rt.stop();
  };

  let rt = await start(0);
  const mail = new Mailbox(rt.mailUrl);
  await fetch(`${rt.mailUrl}/clear-store`, { method: 'POST' });
  const base = () => rt.baseUrl;

  let submitRetries = 0;
  let submitConflicts = 0;
  let linkRetries = 0;
  let restarts = 0;

  // People submit at once; a 5xx or a refused connection is tried again, as a person presses again.
  const submitting = Promise.all(
    planned.map(async (p, i) => {
      await pause(Math.floor(random() * 2000) + i * 10);
      for (;;) {
        const res = await tryFetch(`${base()}/api/requests`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(p.body),
        });
        if (res.status === 202) {
          const body = JSON.parse(res.text) as { requestId: string };
          tracked.push({ requestId: body.requestId, kind: p.kind });
          return;
        }
        // A 409 is a stored write whose answer was lost, tried again by the SDK, failing its own
        // condition: the person presses again, as for a 5xx (counted: a finding of this run).
        if (res.status === 409) submitConflicts++;
        else if (res.status !== 0 && res.status < 500) throw new Error(`submission refused: ${res.status}`);
        submitRetries++;
        await pause(300);
      }
    }),
  );

  // The agent: every email with a link its addressee acts on, answered once, tried again on 5xx.
  const answered = new Set<string>();
  const abandonedLinks: AbandonedLink[] = [];
  let running = true;
  /**
   * Tries `once` until it is done, as a person presses again after an error page or a site that is
   * down, waiting longer each time (up to 5 s), for `LINK_PATIENCE_MS`: long enough to outlast a
   * restart of a runtime full of work. A link given up on is reported with its last answer.
   */
  const keepTrying = async (email: SentEmail, once: () => Promise<number | 'done'>) => {
    const since = Date.now();
    let wait = 500;
    for (let tries = 1; ; tries++) {
      const outcome = await once();
      if (outcome === 'done') return;
      if (Date.now() - since >= LINK_PATIENCE_MS) {
        const seconds = Math.round((Date.now() - since) / 1000);
        abandonedLinks.push({ subject: email.subject, lastStatus: outcome, tries, seconds });
        return;
      }
      linkRetries++;
      await pause(wait);
      wait = Math.min(5000, wait * 1.5);
    }
  };
  const act = async (email: SentEmail, fields: Record<string, string>) => {
    if (/\/approval\.html#/.test(email.body.text ?? '')) return decideSignedIn(email, fields);
    const link = linkIn(email, 'act').replace(/^https?:\/\/[^/]+/, '');
    // Once the form is open, an error page sends the person back to it and they press again.
    let formOpen = false;
    return keepTrying(email, async () => {
      if (!formOpen) {
        const page = await tryFetch(`${base()}${link}`);
        if (page.status > 0 && page.status < 500 && page.status !== 200) return 'done'; // used or void: someone answered
        formOpen = page.status === 200;
        if (!formOpen) return page.status;
      }
      const res = await tryFetch(`${base()}${link}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      });
      return res.status > 0 && res.status < 500 ? 'done' : res.status;
    });
  };
  // R12: an approval is opened and decided signed in, as the privacy officer it was sent to.
  const decideSignedIn = async (email: SentEmail, fields: Record<string, string>) => {
    const token = approvalSecretOf(approvalLinkIn(email));
    // Once the page is open, an error sends the officer back to it and they press again (as on a link's form).
    let pageOpen = false;
    return keepTrying(email, async () => {
      const signIn = await tryFetch(`${base()}/_local/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: OFFICER, groups: ['privacy-officer'] }),
      });
      if (signIn.status !== 200) return signIn.status;
      const headers = {
        'content-type': 'application/json',
        authorization: `Bearer ${(JSON.parse(signIn.text) as { token: string }).token}`,
      };
      if (!pageOpen) {
        const page = await tryFetch(`${base()}/api/staff/approvals/open`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ token }),
        });
        if (page.status > 0 && page.status < 500 && page.status !== 200) return 'done'; // used or void: someone answered
        pageOpen = page.status === 200;
        if (!pageOpen) return page.status;
      }
      const res = await tryFetch(`${base()}/api/staff/approvals/decide`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ token, ...fields }),
      });
      return res.status > 0 && res.status < 500 ? 'done' : res.status;
    });
  };
  const agent = (async () => {
    const pending: Promise<void>[] = [];
    while (running) {
      const all = await mail.all().catch(() => []);
      for (const email of all) {
        const fields = decisionFor(email);
        if (!fields) continue;
        const key = `${email.messageId}`;
        if (answered.has(key)) continue;
        answered.add(key);
        pending.push(act(email, fields));
      }
      await pause(250);
    }
    await Promise.all(pending);
  })();

  // Restarts at random moments while requests are under way.
  const restartAt = Array.from({ length: o.restarts }, () => 3000 + random() * Math.max(5000, o.requests * 250)).sort(
    (a, b) => a - b,
  );
  const began = Date.now();
  const statuses = new Map<string, string>();
  let quietRepeats = 0;
  const allTerminal = async () => {
    if (tracked.length < planned.length) return false;
    // Read past the faults: what is stored. A submission tried again after an answer that never
    // came is a repeat, closed quietly (R7): the person's request is the one it names.
    const audit = new AuditLog(rt.db, AUDIT_TABLE, rt.auditKey);
    const requests = new RequestStore(rt.db, REQUESTS_TABLE);
    for (const t of tracked) {
      if (TERMINAL.has(statuses.get(t.requestId) ?? '')) continue;
      const repeat = (await audit.list(t.requestId)).find((e) => e.type === 'repeat-closed-quietly');
      const open = repeat?.data?.openRequestId;
      if (typeof open === 'string') {
        t.requestId = open;
        quietRepeats++;
      }
      statuses.set(t.requestId, (await requests.get(t.requestId)).status);
    }
    return tracked.every((t) => TERMINAL.has(statuses.get(t.requestId) ?? ''));
  };
  for (;;) {
    const next = restartAt[0];
    if (next !== undefined && Date.now() - began >= next) {
      restartAt.shift();
      say(`restart ${restarts + 1} at ${Math.round((Date.now() - began) / 1000)} s`);
      await stop(rt);
      rt = await start(++restarts);
    }
    if (restartAt.length === 0 && (await allTerminal())) break;
    if (Date.now() - began > o.timeoutMs) {
      say('timed out waiting for the requests to end');
      break;
    }
    await pause(1000);
    if ((Date.now() - began) % 10_000 < 1000) {
      const open = new Map<string, number>();
      for (const s of statuses.values()) if (!TERMINAL.has(s)) open.set(s, (open.get(s) ?? 0) + 1);
      say(
        `${Math.round((Date.now() - began) / 1000)} s: ${[...statuses.values()].filter((s) => TERMINAL.has(s)).length}/${planned.length} ended; open: ${JSON.stringify(Object.fromEntries(open))}`,
      );
    }
  }
  await submitting;
  running = false;
  await agent;
  // A request's status is set by its workflow's last step, before that step's closing audit event
  // (closeRequest): a fault there is retried seconds later. What the run left is read once every
  // workflow has ended, or the closing event of the last request to end is missed while it is retried.
  const stillRunning: string[] = [];
  for (const t of tracked) {
    const executionId = `local:${t.kind}:${t.requestId}`;
    while ((await rt.engine.status(executionId)) === 'RUNNING') {
      if (Date.now() - began > o.timeoutMs) {
        stillRunning.push(executionId);
        break;
      }
      await pause(500);
    }
  }

  // What the run left behind.
  const emails = await mail.all();
  const report = await inspect(rt, tracked, planned, emails, statuses);
  const execs = await scanAll(rt, 'EXEC#');
  const executionText = [...histories, ...execs.map((e) => JSON.stringify(e))].join('\n');
  await stop(rt);
  process.stdout.write = writes.out;
  process.stderr.write = writes.err;

  const named = [...new Set(planned.flatMap((p) => p.named))];
  const piiFound: { where: string; value: string }[] = [];
  const logText = logged.join('');
  for (const value of named) {
    if (logText.includes(value)) piiFound.push({ where: 'logs', value });
    if (executionText.includes(value)) piiFound.push({ where: 'executions', value });
  }
  await rm(dir, { recursive: true, force: true });

  return {
    requests: planned.length,
    completed: tracked.filter((t) => statuses.get(t.requestId) === 'completed').length,
    duplicates: report.duplicateEmails.length + report.doubledEvents.length,
    lost: planned.length - tracked.filter((t) => statuses.get(t.requestId) === 'completed').length,
    chainFailures: report.brokenChains.length + report.missingEvents.length,
    piiHits: piiFound.length,
    restarts,
    injectedFaults: faultsInjected,
    details: {
      ...report,
      stillRunning,
      piiFound,
      faults: faultCounts,
      submitRetries,
      quietRepeats,
      submitConflicts,
      linkRetries,
      abandonedLinks,
      scanned: { logs: logText.length, executions: executionText.length },
    },
  };
}

async function scanAll(rt: Runtime, prefix: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const res = await rt.db.send(
      new ScanCommand({
        TableName: REQUESTS_TABLE,
        FilterExpression: 'begins_with(pk, :p)',
        ExpressionAttributeValues: { ':p': prefix },
        ExclusiveStartKey: start,
      }),
    );
    out.push(...(res.Items ?? []));
    start = res.LastEvaluatedKey;
  } while (start);
  return out;
}

/** Emails sent twice, audit chains that break or double an event or miss one, each request's end. */
async function inspect(
  rt: Runtime,
  tracked: { requestId: string; kind: ChaosKind }[],
  _planned: Planned[],
  emails: SentEmail[],
  statuses: Map<string, string>,
) {
  // Read past the faults: what is stored, not what a faulty call would answer.
  const audit = new AuditLog(rt.db, AUDIT_TABLE, rt.auditKey);
  const results = new SystemResults(rt.db, REQUESTS_TABLE, () => new Date());
  const tokens = new TokenStore(rt.db, REQUESTS_TABLE);
  // The same email twice: same addressee, subject and text once each link's secret is set aside.
  const seen = new Map<string, { to: string; subject: string; times: number }>();
  for (const e of emails) {
    const text = (e.body.text ?? '').replace(/\/(act|download)\/[A-Za-z0-9_-]+/g, '/$1/…');
    const key = JSON.stringify([e.destination.to, e.subject, text]);
    const entry = seen.get(key) ?? { to: e.destination.to.join(','), subject: e.subject, times: 0 };
    entry.times++;
    seen.set(key, entry);
  }
  const duplicateEmails = [...seen.values()].filter((e) => e.times > 1);

  const doubledEvents: { requestId: string; type: string; times: number }[] = [];
  const brokenChains: { requestId: string; reason: string }[] = [];
  const missingEvents: { requestId: string; type: string }[] = [];
  for (const t of tracked) {
    const { events, ...check } = await audit.check(t.requestId);
    if (!check.ok) brokenChains.push({ requestId: t.requestId, reason: check.firstBreak.reason });
    // The same thing recorded twice under two event ids: a retried step that was not idempotent.
    const counts = new Map<string, number>();
    for (const e of events) {
      const key = JSON.stringify([e.type, e.actor, e.data ?? {}]);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const [key, times] of counts)
      if (times > 1)
        doubledEvents.push({ requestId: t.requestId, type: (JSON.parse(key) as string[])[0] ?? '', times });
    // Its first event is its receipt, and a completed request says so once.
    if (events[0]?.type !== 'request-received')
      missingEvents.push({ requestId: t.requestId, type: 'request-received' });
    if (statuses.get(t.requestId) === 'completed' && !events.some((e) => e.type === 'request-completed'))
      missingEvents.push({ requestId: t.requestId, type: 'request-completed' });
  }
  const notCompleted = [];
  for (const t of tracked.filter((t) => statuses.get(t.requestId) !== 'completed')) {
    const events = await audit.list(t.requestId);
    const failed = events.find((e) => e.type === 'request-failed');
    // Which states failed, and with what error name (this runtime's executions only).
    const failedStates = rt.engine
      .history(`local:${t.kind}:${t.requestId}`)
      .filter((h) => h.type === 'StateFailed')
      .map((h) => `${h.state ?? '?'}: ${h.error ?? '?'} ${(h.cause ?? '').slice(0, 120)}`);
    const systems = (await results.list(t.requestId)).map((r) => `${r.systemId}: ${r.state}`);
    const links = (await tokens.listOfRequest(t.requestId)).map(
      (k) =>
        `${k.step}/${k.purpose} to ${k.recipient.kind}: ${
          [
            k.emailedAt && 'emailed',
            k.usedAt && `used ${k.decision ?? ''}`,
            k.recordedAt && 'recorded',
            k.handedOverAt && 'handed over',
            k.revokedAt && 'revoked',
          ]
            .filter(Boolean)
            .join(', ') || 'issued'
        }`,
    );
    notCompleted.push({
      ...(failed ? { error: String(failed.data?.error) } : {}),
      ...(failedStates.length > 0 ? { failedStates } : {}),
      systems,
      links,
      requestId: t.requestId,
      kind: t.kind,
      status: statuses.get(t.requestId) ?? 'unknown',
      lastEvents: events.slice(-4).map((e) => e.type),
    });
  }
  return { duplicateEmails, doubledEvents, brokenChains, missingEvents, notCompleted };
}
