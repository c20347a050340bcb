/**
 * Fan-out budget (R19, issue #15): a request across five configured systems (the records table,
 * Koha through its simulator, three manual systems whose staff answer at once) finishes its
 * automated part in about the time of its slowest system alone.
 *
 *   npx tsx scripts/bench-fan-out.ts [rounds=3]     (not part of npm test)
 *
 * Each configuration runs in a whole local runtime (the real access workflow on the local engine,
 * dynalite in a process of its own as `npm start` runs it, local SES, the Koha simulator over
 * HTTP), driven as a person would: the access request submitted, the verification link followed,
 * every manual system's task link answered "done" the moment its email is sent, until the patron's
 * "ready" email is. Timed from the verification to that email; one untimed request first warms each
 * runtime, then the median of `rounds` requests.
 *
 * Koha is measured a network's round trip away (KOHA_DELAY_MS) and answering at once; each time
 * beside a control with the engine running one task at a time, which a fan-out must beat. A manual
 * system cannot be a request's only system (someone must find the patron), so its own time is
 * measured beside the records table, which only makes it longer.
 */
import { ADA, linkIn, submit, waitForStatus, type SentEmail, type TestRuntime } from '../test/support/runtime.ts';
import { postForm } from '../test/support/http.ts';
import {
  ADA_IN_KOHA,
  KOHA_SPEC,
  RECORDS_TABLE,
  kohaSystems,
  seedKohaAda,
  startKoha,
  startRuntimeWithSystems,
} from '../test/support/systems.ts';
import { availableParallelism } from 'node:os';
import type { KohaSimulator } from '../test/support/koha-simulator/index.ts';
import { startStoreProcess, type StoreProcess } from '../local/store-process.ts';
import type { Mailer } from '../functions/adapters/ses-mailer.ts';
import { processCpuSeconds } from './bench-support.ts';
import { isMain } from './bench-measure.ts';
import type { BenchRow } from './bench-row.ts';
import { printTable } from './bench-table.ts';
import { median } from './bench-stats.ts';

const TABLE_CATEGORIES = [
  'personal',
  'residency',
  'credentials',
  'library-records',
  'payments',
  'donations',
  'shared-content',
];

const manual = (id: string, name: string) => ({
  id,
  type: 'manual',
  name,
  role: 'circulation',
  categories: ['library-records'],
  instructions: { access: `List the patron’s records in ${name} and attach the list.` },
});
const MANUAL = [
  manual('ebooks', 'E-book vendor'),
  manual('makerspace', 'Makerspace bookings'),
  manual('archive', 'Local history archive'),
];

interface Config {
  name: string;
  systems: unknown[];
  /** Where the request's emails go: the identity system's address for Ada. */
  email: string;
  manualIds: string[];
  /** How long the Koha simulator waits before each answer (its `slow` switch); 0: at once. */
  kohaDelayMs: number;
  /** The engine's task invocations at once; 1 is the control (systems reached one after another). */
  taskSlots?: number;
}

/**
 * Every email the runtime's mailer has sent, heard as each send returns (the local SES has it
 * then): the driver answers a task the moment its email arrives, with no polling. Polling every
 * 50 ms added up to 50 ms to each email awaited, on a request of about 0.2 s, and its reads of the
 * local SES ran on the runtime's one thread.
 */
class SentMail {
  private readonly sent: SentEmail[] = [];
  private readonly waiting = new Set<{ match: (e: SentEmail) => boolean; found: (e: SentEmail) => void }>();

  readonly wrap = (mailer: Mailer): Mailer => ({
    send: async (email) => {
      const answer = await mailer.send(email);
      const sent: SentEmail = {
        messageId: answer.messageId,
        destination: { to: email.to },
        subject: email.subject,
        body: { text: email.text, html: email.html },
      };
      this.sent.push(sent);
      for (const w of this.waiting) {
        if (w.match(sent)) {
          this.waiting.delete(w);
          w.found(sent);
        }
      }
      return answer;
    },
  });

  /** Where the emails sent from now on begin. */
  mark(): number {
    return this.sent.length;
  }

  /** The first email since `from` that `match`es: one sent already, or the next one that is. */
  find(from: number, match: (e: SentEmail) => boolean, what: string, timeoutMs = 120_000): Promise<SentEmail> {
    const already = this.sent.slice(from).find(match);
    if (already) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(waiter);
        reject(new Error(`no email "${what}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        match,
        found: (e: SentEmail) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      this.waiting.add(waiter);
    });
  }
}

const to = (address: string, subject: RegExp | string) => (e: SentEmail) =>
  e.destination.to.includes(address) &&
  (typeof subject === 'string' ? e.subject.startsWith(subject) : subject.test(e.subject));

/** One access request, from the verification link to the "ready" email, staff answering each task the moment it arrives. */
async function oneRequest(
  rt: TestRuntime,
  mail: SentMail,
  store: StoreProcess,
  config: Config,
): Promise<{ seconds: number; cpu: number; storeCpu: number }> {
  const submitted = mail.mark();
  const { body } = await submit(rt, { kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
  const verify = await mail.find(submitted, to(config.email, /confirm your privacy request/), 'confirm');
  const [staff] = await rt.deps.records.staffWithRole('circulation');
  if (!staff) throw new Error('nobody holds circulation');
  const confirming = mail.mark();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const store0 = processCpuSeconds(store.pid);
  const confirmed = await postForm(linkIn(verify, 'act'), { decision: 'confirm' });
  if (confirmed.status !== 200) throw new Error(`confirm answered ${confirmed.status}`);
  const answers = config.manualIds.map(async (id) => {
    const subject = `Task in ${MANUAL.find((m) => m.id === id)?.name} for request ${body.requestId}`;
    const task = await mail.find(confirming, to(staff.email, subject), subject);
    const res = await postForm(linkIn(task, 'act'), { decision: 'done' });
    if (res.status !== 200) throw new Error(`the ${id} task answered ${res.status}`);
  });
  const ready = mail.find(confirming, to(config.email, /are ready/), 'ready');
  // A task answered with an error ends the round at once, rather than after waiting for "ready".
  const answered = Promise.all(answers);
  await Promise.race([ready, answered.then(() => ready)]);
  const seconds = (performance.now() - t0) / 1000;
  await answered;
  const cpu = process.cpuUsage(cpu0);
  const storeCpu = processCpuSeconds(store.pid) - store0;
  // Untimed: the "ready" email goes before the request is marked completed, and the next round's
  // request made while this one is still open would be closed quietly as its repeat (R7), with no
  // email to confirm.
  await waitForStatus(rt, body.statusUrl, 'completed');
  return { seconds, cpu: (cpu.user + cpu.system) / 1e6, storeCpu };
}

interface Timed {
  time: number;
  /** This process's CPU seconds per request (runtime, local SES, Koha simulator, the driver). */
  cpu: number;
  /** The store's process: its CPU seconds per request. */
  storeCpu: number;
}

async function timeConfig(config: Config, rounds: number, sim: KohaSimulator): Promise<Timed> {
  // The scheduled sweeps are not part of a request: a test runtime runs them every 100 ms, back to
  // back on the runtime's one thread (`npm start` every 30 s, AWS every few minutes), which timed
  // them as much as the request.
  // The store in a process of its own, as `npm start` runs it (local/store-process.ts).
  const store = await startStoreProcess();
  const mail = new SentMail();
  const rt = await startRuntimeWithSystems(
    { systems: config.systems },
    {
      schedules: [],
      dynamodbEndpoint: store.endpoint,
      wrapMailer: mail.wrap,
      ...(config.taskSlots !== undefined ? { taskSlots: config.taskSlots } : {}),
    },
  );
  sim.setFault(config.kohaDelayMs > 0 ? { kind: 'slow', delayMs: config.kohaDelayMs } : undefined);
  try {
    await oneRequest(rt, mail, store, config); // warm: modules loaded, connections open
    const runs: Awaited<ReturnType<typeof oneRequest>>[] = [];
    for (let i = 0; i < rounds; i++) runs.push(await oneRequest(rt, mail, store, config));
    const timed = {
      time: median(runs.map((r) => r.seconds)),
      cpu: median(runs.map((r) => r.cpu)),
      // Read in clock ticks (10 ms): the mean over the rounds is the finer figure.
      storeCpu: runs.reduce((a, r) => a + r.storeCpu, 0) / runs.length,
    };
    console.log(
      `${config.name.padEnd(60)} ${runs.map((r) => r.seconds.toFixed(2)).join(' ')} s  median ${timed.time.toFixed(2)} s, ` +
        `CPU ${timed.cpu.toFixed(2)} s, store CPU ${timed.storeCpu.toFixed(2)} s`,
    );
    return timed;
  } finally {
    sim.setFault(undefined);
    await rt.cleanup();
    await store.stop();
  }
}

/**
 * How long the Koha simulator waits before each answer in the main row: a round trip on a fast
 * network, less than a hosted Koha takes. A system with any time of its own is what a fan-out runs
 * beside the others; the row with no wait measures something else (its note says what).
 */
export const KOHA_DELAY_MS = 20;

/** One row: the five systems against the slowest alone, with the control (one task at a time) in the note. */
function fanOutRow(
  job: string,
  five: Timed,
  inTurn: Timed,
  singles: ({ name: string } & Timed)[],
  rounds: number,
  more: (floor: number) => string,
): BenchRow {
  const slowest = singles.reduce((a, b) => (b.time > a.time ? b : a));
  return {
    job,
    time: five.time,
    floor: slowest.time,
    ratio: five.time / slowest.time,
    note:
      `floor: the slowest system alone (${slowest.name}); ` +
      `${singles.map((o) => `${o.name} ${o.time.toFixed(2)} s`).join(', ')}; median of ${rounds}; ` +
      `control, the engine running one task at a time (systems reached in turn): ${inTurn.time.toFixed(2)} s, ` +
      `${(inTurn.time / slowest.time).toFixed(2)}× the floor; ${more(slowest.time)}`,
  };
}

/**
 * The five-system request against its slowest system alone, twice: with Koha answering after
 * KOHA_DELAY_MS, and at once. Each has its control, the same five systems with the engine running
 * one task at a time: a fan-out that reached its systems in turn. The benchmark can tell a fan-out
 * from that only where a system takes time of its own; with every answer at once, all the systems'
 * work is CPU on the runtime's one thread (in AWS, a Lambda each), and the control takes as long.
 */
export async function benchFanOut(rounds = 3): Promise<BenchRow[]> {
  if (!KOHA_SPEC) return [{ job: 'fan-out (5 systems)', note: 'not measured: the Koha API spec is not available' }];
  const sim = await startKoha();
  seedKohaAda(sim);
  try {
    const [koha] = kohaSystems(sim).systems;
    const records = { ...RECORDS_TABLE, categories: TABLE_CATEGORIES };
    const behindKoha = { ...records, identity: false };
    const time = async (c: Config) => ({ name: c.name, ...(await timeConfig(c, rounds, sim)) });
    const kohaAlone = (delay: number): Config => ({
      name: delay > 0 ? `Koha alone, ${delay} ms away` : 'Koha alone',
      systems: [koha],
      email: ADA_IN_KOHA.email,
      manualIds: [],
      kohaDelayMs: delay,
    });
    const five = (delay: number, taskSlots?: number): Config => ({
      name: `five systems${delay > 0 ? `, Koha ${delay} ms away` : ''}${taskSlots === 1 ? ', one task at a time' : ''}`,
      systems: [koha, behindKoha, ...MANUAL],
      email: ADA_IN_KOHA.email,
      manualIds: MANUAL.map((m) => m.id),
      kohaDelayMs: delay,
      ...(taskSlots !== undefined ? { taskSlots } : {}),
    });
    // Neither reaches Koha: one measure of each serves both rows.
    const withoutKoha = [
      await time({ name: 'records table alone', systems: [records], email: ADA.email, manualIds: [], kohaDelayMs: 0 }),
      await time({
        name: 'one manual system (beside the records table)',
        systems: [records, MANUAL[0]],
        email: ADA.email,
        manualIds: [MANUAL[0]?.id ?? ''],
        kohaDelayMs: 0,
      }),
    ];
    const away = [...withoutKoha, await time(kohaAlone(KOHA_DELAY_MS))];
    const fiveAway = await time(five(KOHA_DELAY_MS));
    const fiveAwayInTurn = await time(five(KOHA_DELAY_MS, 1));
    const atOnce = [...withoutKoha, await time(kohaAlone(0))];
    const fiveAtOnce = await time(five(0));
    const fiveAtOnceInTurn = await time(five(0, 1));
    if (sim.violations.length > 0) throw new Error(`Koha API violations: ${sim.violations.length}`);
    // No schedule of the work finishes sooner than its CPU time spread over every core.
    const cores = availableParallelism();
    const bound = (fiveAtOnce.cpu + fiveAtOnce.storeCpu) / cores;
    return [
      fanOutRow(
        `fan-out: access request, 5 systems, Koha ${KOHA_DELAY_MS} ms away (automated part)`,
        fiveAway,
        fiveAwayInTurn,
        away,
        rounds,
        () => `Koha's simulator waits ${KOHA_DELAY_MS} ms before each answer`,
      ),
      fanOutRow(
        'fan-out: the same, Koha answering at once',
        fiveAtOnce,
        fiveAtOnceInTurn,
        atOnce,
        rounds,
        (floor) =>
          `no system waits on anything, so this measures CPU on the runtime's one thread, not the fan-out; ` +
          `CPU per request: this process (runtime, local SES, Koha simulator) ${fiveAtOnce.cpu.toFixed(2)} s, ` +
          `the store's process ${fiveAtOnce.storeCpu.toFixed(2)} s; spread over this machine's ${cores} cores: ` +
          `at least ${bound.toFixed(2)} s, ${(bound / floor).toFixed(2)}× the floor`,
      ),
    ];
  } finally {
    await sim.close();
  }
}

if (isMain(import.meta.url)) printTable(await benchFanOut(Number(process.argv[2] ?? 3)));
