/**
 * The load run (issue 14, item 4; README "Load").
 *
 *   npm run bench:load -- [clients=50] [seconds=30]
 *
 * Starts the runtime as `npm start` does (local/main.ts in its own process, with its own data folder
 * and free ports) on the demo systems file and a dataset of the demo patrons plus generated ones,
 * so no patron asks twice (R7's daily cap would quietly close repeats). Then `clients` people, each
 * in turn: submit a request of a public kind (access, export, deletion, outreach opt-out), wait
 * for the confirmation email and confirm it, as a patron would. Staff answer every task and
 * decision email once, and patrons download what they are sent. After `seconds` no one submits;
 * the run waits for what was submitted to end and checks each request's status page.
 *
 * It prints the submit answer's p50/p95, requests completed per minute during the run, and the
 * floor: a bare handler that writes one item to the same embedded dynalite, driven by the same
 * clients, as writes per second. With the writes one request makes (counted on an in-process
 * runtime of the same code, engine checkpoints included) that gives the requests per minute the
 * store allows, and the run's share of it. Timings are wall-clock on a shared machine: compare
 * the ratio, not the absolute figures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { createDocumentClient } from '../functions/adapters/dynamodb/client.ts';
import { REQUESTS_TABLE, startRuntime } from '../local/runtime.ts';
import { startStoreProcess } from '../local/store-process.ts';
import { ensureTable } from '../local/tables.ts';

const args = z
  .tuple([z.coerce.number().int().min(1).max(500).default(50), z.coerce.number().int().min(1).max(3600).default(30)])
  .parse(process.argv.slice(2).filter((a) => a !== '--'));
const [CLIENTS, SECONDS] = args;

const ROOT = new URL('../', import.meta.url);
const MAIN = fileURLToPath(new URL('local/main.ts', ROOT));
const DEMO_DATASET = fileURLToPath(new URL('local/demo-dataset.json', ROOT));
const DEMO_SYSTEMS = fileURLToPath(new URL('local/demo-systems.json', ROOT));
const KINDS = ['access', 'export', 'deletion', 'outreach-opt-out'] as const;
type Kind = (typeof KINDS)[number];

// --- The people ---------------------------------------------------------------------------------

interface Person {
  cardNumber: string;
  lastName: string;
  email: string;
}

/** The demo dataset plus `n` generated patrons, each with two loans: written to `path`. */
async function writeDataset(path: string, n: number): Promise<Person[]> {
  const demo = JSON.parse(await readFile(DEMO_DATASET, 'utf8')) as {
    patrons: Record<string, unknown>[];
    loans: Record<string, unknown>[];
  };
  const people: Person[] = [];
  for (let i = 0; i < n; i++) {
    const id = `PLOAD${i}`;
    const person = {
      cardNumber: `29000${String(i).padStart(9, '0')}`,
      lastName: `Loadtest${i}`,
      email: `load${i}@example.org`,
    };
    people.push(person);
    demo.patrons.push({ id, firstName: 'Load', dateOfBirth: '1980-01-01', ...person });
    for (let j = 0; j < 2; j++)
      demo.loans.push({
        id: `LLOAD${i}-${j}`,
        patronId: id,
        itemId: `ILOAD${j}`,
        title: `Book ${j}`,
        checkedOutAt: '2026-01-10T10:00:00-05:00',
        dueAt: '2026-01-31T23:59:59-05:00',
        returnedAt: '2026-01-20T12:00:00-05:00',
      });
  }
  await writeFile(path, JSON.stringify(demo));
  return people;
}

// --- The mailbox, read as people read theirs ------------------------------------------------------

const emailSchema = z.object({
  messageId: z.string(),
  destination: z.object({ to: z.array(z.string()) }),
  subject: z.string(),
  body: z.object({ text: z.string().optional() }).loose(),
});
type Email = z.infer<typeof emailSchema>;

/**
 * One reader polls the local SES for what arrived lately (its `since`, in seconds) and hands each
 * email over once: to the person waiting for it, or to the staff and patrons who act on it.
 */
class MailReader {
  private readonly seen = new Set<string>();
  private readonly waiting = new Map<string, (e: Email) => void>();
  private readonly early = new Map<string, Email>();
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly mailUrl: string,
    private readonly onOther: (e: Email) => void,
  ) {
    this.loop = this.poll();
  }

  /** The confirmation email to `address` (each person gets exactly one here). */
  confirmationFor(address: string): Promise<Email> {
    const early = this.early.get(address);
    if (early) {
      this.early.delete(address);
      return Promise.resolve(early);
    }
    return new Promise((resolve) => this.waiting.set(address, resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async poll(): Promise<void> {
    while (!this.stopped) {
      const since = Math.floor(Date.now() / 1000) - 5;
      try {
        const res = await fetch(`${this.mailUrl}/store?since=${since}`);
        const { emails } = z.object({ emails: z.array(emailSchema) }).parse(await res.json());
        for (const e of emails) {
          if (this.seen.has(e.messageId)) continue;
          this.seen.add(e.messageId);
          this.dispatch(e);
        }
      } catch {
        // the runtime is busy or restarting: read again
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private dispatch(e: Email): void {
    const to = e.destination.to[0] ?? '';
    if (/^Please confirm your privacy request/.test(e.subject)) {
      const resolve = this.waiting.get(to);
      if (resolve) {
        this.waiting.delete(to);
        resolve(e);
      } else this.early.set(to, e);
      return;
    }
    this.onOther(e);
  }
}

const linkIn = (e: Email, kind: 'act' | 'download'): string | undefined =>
  new RegExp(`https?://[^\\s"<]+/${kind}/[A-Za-z0-9_-]+`).exec(e.body.text ?? '')?.[0];

/** Opens a link's page, then presses its primary button, as a person does. */
async function act(link: string): Promise<number> {
  const page = await fetch(link);
  const html = await page.text();
  const decision = /name="decision" value="([a-z-]+)" class="button button-primary"/.exec(html)?.[1];
  if (!decision) return page.status;
  const res = await fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ decision }).toString(),
  });
  await res.arrayBuffer();
  return res.status;
}

/** The secret in an approval email's `{base}/approval.html#<secret>` link (R12: decided signed in). */
const approvalSecretIn = (e: Email): string | undefined =>
  /https?:\/\/[^\s"<]+\/approval\.html#([A-Za-z0-9_-]+)/.exec(e.body.text ?? '')?.[1];

/**
 * R12: an approval is decided signed in, by the privacy officer it was sent to, as the approval
 * page does: the local sign-in's token, then the signed-in route.
 */
async function approveSignedIn(baseUrl: string, officer: string, secret: string): Promise<number> {
  const signIn = await fetch(`${baseUrl}/_local/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: officer, groups: ['privacy-officer'] }),
  });
  if (!signIn.ok) return signIn.status;
  const { token } = z.object({ token: z.string() }).parse(await signIn.json());
  const res = await fetch(`${baseUrl}/api/staff/approvals/decide`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ token: secret, decision: 'approve' }),
  });
  await res.arrayBuffer();
  return res.status;
}

/** What a patron is told when their request is done, by kind (the email they wait for). */
const FINAL: RegExp[] = [
  /^Your records at .* are ready/,
  /^Your data export from .* is ready/,
  /^Your deletion request to .* is complete/,
  /^Your outreach opt-out at /,
];

// --- The run ------------------------------------------------------------------------------------

interface Submitted {
  kind: Kind;
  statusUrl: string;
  at: number;
}

interface RunResult {
  submitMs: number[];
  submitted: Submitted[];
  errors: number;
  completedInWindow: number;
  windowMs: number;
  /** From the first submission to the last request's end, drain included. */
  completed: number;
  untilLastMs: number;
  statuses: Record<string, number>;
}

async function runPeople(
  baseUrl: string,
  mailUrl: string,
  people: Person[],
  clients: number,
  seconds: number,
  firstKind = 0,
): Promise<RunResult> {
  const started = Date.now();
  const end = started + seconds * 1000;
  const finals: number[] = [];
  const acted = new Set<string>();
  const background = new Set<Promise<unknown>>();
  const later = (p: Promise<unknown>) => {
    const q = p.catch(() => undefined);
    background.add(q);
    void q.then(() => background.delete(q));
  };
  const reader = new MailReader(mailUrl, (e) => {
    if (FINAL.some((re) => re.test(e.subject))) {
      finals.push(Date.now());
      const download = linkIn(e, 'download');
      if (download) later(fetch(download).then((r) => r.arrayBuffer()));
      return;
    }
    // Staff tasks and decisions go to every member of a role: one of them answers.
    const secret = approvalSecretIn(e);
    if (secret) {
      if (acted.has(e.subject)) return;
      acted.add(e.subject);
      later(approveSignedIn(baseUrl, e.destination.to[0] ?? '', secret));
      return;
    }
    const link = linkIn(e, 'act');
    if (!link || acted.has(e.subject)) return;
    acted.add(e.subject);
    later(act(link));
  });

  const result: RunResult = {
    submitMs: [],
    submitted: [],
    errors: 0,
    completedInWindow: 0,
    windowMs: 0,
    completed: 0,
    untilLastMs: 0,
    statuses: {},
  };
  let next = 0;
  const client = async () => {
    while (Date.now() < end) {
      const i = next++;
      const person = people[i];
      if (!person) return;
      const kind = KINDS[(i + firstKind) % KINDS.length] as Kind;
      const t0 = performance.now();
      const res = await fetch(`${baseUrl}/api/requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kind, cardNumber: person.cardNumber, lastName: person.lastName }),
      }).catch(() => undefined);
      const body = res ? await res.json().catch(() => undefined) : undefined;
      result.submitMs.push(performance.now() - t0);
      const parsed = z.object({ statusUrl: z.string() }).safeParse(body);
      if (!res || res.status !== 202 || !parsed.success) {
        result.errors++;
        continue;
      }
      result.submitted.push({ kind, statusUrl: parsed.data.statusUrl, at: Date.now() });
      const confirmation = await Promise.race([
        reader.confirmationFor(person.email),
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 300_000)),
      ]);
      const link = confirmation && linkIn(confirmation, 'act');
      if (!link || (await act(link).catch(() => 0)) >= 400) result.errors++;
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  result.windowMs = Date.now() - started;
  result.completedInWindow = finals.filter((t) => t <= end).length;

  // Let what was submitted finish (bounded), then read every status page.
  const drainUntil = Date.now() + 300_000;
  while (finals.length < result.submitted.length && Date.now() < drainUntil)
    await new Promise((r) => setTimeout(r, 500));
  await Promise.all([...background]);
  await reader.stop();
  result.completed = finals.length;
  result.untilLastMs = Math.max(0, ...finals) - started;
  for (const s of result.submitted) {
    const res = await fetch(`${baseUrl}${s.statusUrl}`);
    const { status } = z.object({ status: z.string() }).parse(await res.json());
    result.statuses[status] = (result.statuses[status] ?? 0) + 1;
  }
  return result;
}

// --- The runtime, as npm start runs it ------------------------------------------------------------

async function startMain(
  dataDir: string,
  dataset: string,
): Promise<{ child: ChildProcess; baseUrl: string; mailUrl: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: fileURLToPath(ROOT),
    env: {
      ...process.env,
      PORT: '0',
      MAIL_PORT: '0',
      DSR_DATA_DIR: dataDir,
      DSR_DATASET: dataset,
      DSR_SYSTEMS: DEMO_SYSTEMS,
      LOG_LEVEL: 'ERROR',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const urls = await new Promise<{ baseUrl: string; mailUrl: string }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the runtime exited (${code}) before it started`)));
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const base = /Make a request\s+(\S+)\/request\.html/.exec(out)?.[1];
      const mail = /Mailbox \(every email sent\)\s+(\S+?)\/\s/.exec(out)?.[1];
      if (base && mail) resolve({ baseUrl: base, mailUrl: mail });
    });
  });
  return { child, ...urls };
}

const stopChild = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

// --- The writes one request makes -----------------------------------------------------------------

const WRITE_COMMANDS = new Set(['PutCommand', 'UpdateCommand', 'DeleteCommand']);

/** Every item write the runtime sends to its store, engine checkpoints included. */
function countWrites(db: DynamoDBDocumentClient): { writes: number } {
  const counter = { writes: 0 };
  const send = db.send.bind(db) as (c: unknown) => Promise<unknown>;
  (
    db as unknown as {
      send: (c: { constructor: { name: string }; input: Record<string, unknown> }) => Promise<unknown>;
    }
  ).send = (command) => {
    const kind = command.constructor.name;
    if (WRITE_COMMANDS.has(kind)) counter.writes++;
    if (kind === 'BatchWriteCommand')
      for (const requests of Object.values(command.input.RequestItems as Record<string, unknown[]>))
        counter.writes += requests.length;
    return send(command);
  };
  return counter;
}

/** One request of each public kind, end to end on an in-process runtime of the same code: writes per request. */
async function writesPerRequest(dataset: string, people: Person[]): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'privacy-desk-load-count-'));
  const rt = await startRuntime({
    port: 0,
    mailPort: 0,
    dataDir: dir,
    filesDir: join(dir, 'files'),
    datasetPath: dataset,
    systemsPath: DEMO_SYSTEMS,
    logLevel: 'ERROR',
    // Schedules and the TTL sweep off: only the requests' own writes are counted.
    scheduleIntervalMs: 24 * 3600 * 1000,
    sweepIntervalMs: 24 * 3600 * 1000,
  });
  try {
    const counter = countWrites(rt.db);
    // One person per kind, one after another, each to the end.
    let done = 0;
    for (let k = 0; k < KINDS.length; k++) {
      const run = await runPeople(rt.baseUrl, rt.mailUrl, people.slice(k, k + 1), 1, 600, k);
      done += run.statuses.completed ?? 0;
    }
    return counter.writes / done;
  } finally {
    await rt.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

// --- The floor: a bare handler writing one item -----------------------------------------------------

/** dynalite as `npm start` embeds it (on disk, in a process of its own) behind one bare handler. */
async function floorRate(dataDir: string, clients: number, seconds: number): Promise<{ rate: number; ms: number[] }> {
  const store = await startStoreProcess({ path: join(dataDir, 'floor-dynamodb') });
  const { endpoint } = store;
  const raw = new DynamoDBClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await ensureTable(raw, REQUESTS_TABLE);
  raw.destroy();
  const db = createDocumentClient({ endpoint });
  const server: Server = createServer((req, res) => {
    req.resume();
    const id = randomBytes(16).toString('hex');
    db.send(new PutCommand({ TableName: REQUESTS_TABLE, Item: { pk: `FLOOR#${id}`, sk: 'A', at: Date.now() } })).then(
      () => res.writeHead(202).end(),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  let writes = 0;
  const ms: number[] = [];
  const started = Date.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < end) {
        const t0 = performance.now();
        const res = await fetch(url, { method: 'POST', body: '{}' });
        await res.arrayBuffer();
        ms.push(performance.now() - t0);
        if (res.status === 202) writes++;
      }
    }),
  );
  const rate = writes / ((Date.now() - started) / 1000);
  await new Promise<void>((r) => server.close(() => r()));
  db.destroy();
  await store.stop();
  return { rate, ms };
}

// --- Main ---------------------------------------------------------------------------------------

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number) : NaN;
};

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'privacy-desk-load-'));
  const dataset = join(dir, 'dataset.json');
  // More people than can submit in the time: each asks once.
  const people = await writeDataset(dataset, Math.max(200, CLIENTS * SECONDS * 3));
  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg()[0]?.toFixed(2)}`);
  try {
    const perRequest = await writesPerRequest(dataset, people.slice(-KINDS.length * 2));
    const floor = await floorRate(dir, CLIENTS, Math.min(SECONDS, 15));

    const { child, baseUrl, mailUrl } = await startMain(join(dir, 'data'), dataset);
    let run: RunResult;
    try {
      run = await runPeople(baseUrl, mailUrl, people.slice(0, -KINDS.length * 2), CLIENTS, SECONDS);
    } finally {
      await stopChild(child);
    }

    const perMinute = run.completed / (run.untilLastMs / 60_000);
    const allowed = (floor.rate * 60) / perRequest;
    const submitP95 = pct(run.submitMs, 95);
    const floorP95 = pct(floor.ms, 95);
    const rows: [string, string][] = [
      ['clients, seconds', `${CLIENTS}, ${SECONDS}`],
      ['submitted (errors)', `${run.submitted.length} (${run.errors})`],
      ['submit answer p50 / p95', `${pct(run.submitMs, 50).toFixed(0)} ms / ${submitP95.toFixed(0)} ms`],
      ['submissions per second', (run.submitted.length / (run.windowMs / 1000)).toFixed(1)],
      ['completed within the run', `${run.completedInWindow}`],
      ['completed per minute (first submit to last end)', perMinute.toFixed(1)],
      [
        'status after the drain',
        Object.entries(run.statuses)
          .map(([s, n]) => `${s} ${n}`)
          .join(', '),
      ],
      ['floor: bare handler, one write', `${floor.rate.toFixed(0)} writes/s`],
      ['floor answer p50 / p95', `${pct(floor.ms, 50).toFixed(0)} ms / ${floorP95.toFixed(0)} ms`],
      ['submit p95 / floor p95', (submitP95 / floorP95).toFixed(1)],
      ['writes per request (counted)', perRequest.toFixed(1)],
      ['requests per minute the store allows', allowed.toFixed(0)],
      ['completed / allowed', `${((perMinute / allowed) * 100).toFixed(0)} %`],
      ['load average after', loadavg()[0]?.toFixed(2) ?? '?'],
    ];
    const w = Math.max(...rows.map(([k]) => k.length));
    console.log(rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
