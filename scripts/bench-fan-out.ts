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
 * runtime, then the median of `rounds` requests. The CPU time of both processes is reported with
 * it: the runtime's one thread does every system's work, where in AWS each is a Lambda of its own.
 * A manual system cannot be a request's only system (someone must find the patron), so its own
 * time is measured beside the records table, which only makes it longer.
 */
import { ADA, linkIn, submit, type SentEmail, type TestRuntime } from '../test/support/runtime.ts';
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
  return { seconds, cpu: (cpu.user + cpu.system) / 1e6, storeCpu: processCpuSeconds(store.pid) - store0 };
}

interface Timed {
  time: number;
  /** This process's CPU seconds per request (runtime, local SES, Koha simulator, the driver). */
  cpu: number;
  /** The store's process: its CPU seconds per request. */
  storeCpu: number;
}

async function timeConfig(config: Config, rounds: number): Promise<Timed> {
  // The scheduled sweeps are not part of a request: a test runtime runs them every 100 ms, back to
  // back on the runtime's one thread (`npm start` every 30 s, AWS every few minutes), which timed
  // them as much as the request.
  // The store in a process of its own, as `npm start` runs it (local/store-process.ts).
  const store = await startStoreProcess();
  const mail = new SentMail();
  const rt = await startRuntimeWithSystems(
    { systems: config.systems },
    { schedules: [], dynamodbEndpoint: store.endpoint, wrapMailer: mail.wrap },
  );
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
      `${config.name.padEnd(44)} ${runs.map((r) => r.seconds.toFixed(2)).join(' ')} s  median ${timed.time.toFixed(2)} s, ` +
        `CPU ${timed.cpu.toFixed(2)} s, store CPU ${timed.storeCpu.toFixed(2)} s`,
    );
    return timed;
  } finally {
    await rt.cleanup();
    await store.stop();
  }
}

/** The five-system request against its slowest system alone. */
export async function benchFanOut(rounds = 3): Promise<BenchRow[]> {
  if (!KOHA_SPEC) return [{ job: 'fan-out (5 systems)', note: 'not measured: the Koha API spec is not available' }];
  const sim = await startKoha();
  seedKohaAda(sim);
  try {
    const [koha] = kohaSystems(sim).systems;
    const records = { ...RECORDS_TABLE, categories: TABLE_CATEGORIES };
    const behindKoha = { ...records, identity: false };
    const singles: Config[] = [
      { name: 'records table alone', systems: [records], email: ADA.email, manualIds: [] },
      { name: 'Koha alone', systems: [koha], email: ADA_IN_KOHA.email, manualIds: [] },
      {
        name: 'one manual system (beside the records table)',
        systems: [records, MANUAL[0]],
        email: ADA.email,
        manualIds: [MANUAL[0]?.id ?? ''],
      },
    ];
    const five: Config = {
      name: 'five systems',
      systems: [koha, behindKoha, ...MANUAL],
      email: ADA_IN_KOHA.email,
      manualIds: MANUAL.map((m) => m.id),
    };
    const own: ({ name: string } & Timed)[] = [];
    for (const c of singles) own.push({ name: c.name, ...(await timeConfig(c, rounds)) });
    const { time, cpu, storeCpu } = await timeConfig(five, rounds);
    const slowest = own.reduce((a, b) => (b.time > a.time ? b : a));
    // The runtime is one thread: five systems' work adds up there, where in AWS each is a Lambda of
    // its own. What the systems cost alone, from the single runs: Koha, the records table, and three
    // times what one manual system adds to the records table (one request's own work counted twice).
    const [tableCpu, kohaCpu, manualCpu] = own.map((o) => o.cpu) as [number, number, number];
    const partsCpu = kohaCpu + tableCpu + 3 * (manualCpu - tableCpu);
    // No schedule of this work finishes sooner than its CPU time spread over every core: the bound
    // the five-system request's time has on this machine, whatever the runtime runs in parallel.
    const cores = availableParallelism();
    const bound = (cpu + storeCpu) / cores;
    if (sim.violations.length > 0) throw new Error(`Koha API violations: ${sim.violations.length}`);
    return [
      {
        job: 'fan-out: access request, 5 systems (automated part)',
        time,
        floor: slowest.time,
        ratio: time / slowest.time,
        note:
          `floor: the slowest system alone (${slowest.name}); ` +
          `${own.map((o) => `${o.name} ${o.time.toFixed(2)} s`).join(', ')}; median of ${rounds}; ` +
          `CPU per request: this process (runtime, local SES, Koha simulator) ${cpu.toFixed(2)} s vs ${slowest.cpu.toFixed(2)} s, ` +
          `the store's process ${storeCpu.toFixed(2)} s vs ${slowest.storeCpu.toFixed(2)} s; ` +
          `its five systems' own CPU from the single runs ${partsCpu.toFixed(2)} s; ` +
          `the five systems' CPU over this machine's ${cores} cores: at least ${bound.toFixed(2)} s, ${(bound / slowest.time).toFixed(2)}× the floor`,
      },
    ];
  } finally {
    await sim.close();
  }
}

if (isMain(import.meta.url)) printTable(await benchFanOut(Number(process.argv[2] ?? 3)));
