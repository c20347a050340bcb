/**
 * Fan-out budget (R19, issue #15): a request across five configured systems (the records table,
 * Koha through its simulator, three manual systems whose staff answer at once) finishes its
 * automated part in about the time of its slowest system alone.
 *
 *   npx tsx scripts/bench-fan-out.ts [rounds=3]     (not part of npm test)
 *
 * Each configuration runs in a whole local runtime (the real access workflow on the local engine,
 * dynalite in a process of its own as `npm start` runs it, local SES, the Koha simulator over
 * HTTP; the CPU figures are this process's, the store's not in them), driven as a person would: the access request
 * submitted, the verification link followed, every manual system's task link answered "done" the
 * moment its email arrives, until the patron's "ready" email. Timed from the verification to that
 * email; one untimed request first warms each runtime, then the median of `rounds` requests.
 * A manual system cannot be a request's only system (someone must find the patron), so its own
 * time is measured beside the records table, which only makes it longer.
 */
import { setTimeout as sleep } from 'node:timers/promises';
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
import { startStoreProcess } from '../local/store-process.ts';
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
 * One access request, from the verification link to the "ready" email, staff answering each task
 * the moment it arrives. One reader polls the mailbox for the whole request (only the mail since it
 * began), whatever the number of systems: a reader per awaited email would load the runtime's one
 * thread with more polling the more systems a request has, and measure that rather than the request.
 */
async function oneRequest(rt: TestRuntime, config: Config, nth: number): Promise<{ seconds: number; cpu: number }> {
  const { body } = await submit(rt, { kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
  const verify = await rt.mail.waitFor(config.email, /confirm your privacy request/, nth, 60_000);
  const [staff] = await rt.deps.records.staffWithRole('circulation');
  if (!staff) throw new Error('nobody holds circulation');
  const since = Math.floor(Date.now() / 1000) - 1;
  const isReady = (e: SentEmail) => e.destination.to.includes(config.email) && /are ready/.test(e.subject);
  // The mail is read by the second: the last request's "ready" email may be in the window.
  const readyBefore = new Set((await mailSince(rt, since)).filter(isReady).map((e) => e.messageId));
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const confirmed = await postForm(linkIn(verify, 'act'), { decision: 'confirm' });
  if (confirmed.status !== 200) throw new Error(`confirm answered ${confirmed.status}`);
  const unanswered = new Map(
    config.manualIds.map((id) => [
      id,
      `Task in ${MANUAL.find((m) => m.id === id)?.name} for request ${body.requestId}`,
    ]),
  );
  const answers: Promise<void>[] = [];
  for (;;) {
    const mail = await mailSince(rt, since);
    for (const [id, subject] of unanswered) {
      const task = mail.find((e) => e.destination.to.includes(staff.email) && e.subject.startsWith(subject));
      if (!task) continue;
      unanswered.delete(id);
      answers.push(
        postForm(linkIn(task, 'act'), { decision: 'done' }).then((res) => {
          if (res.status !== 200) throw new Error(`the ${id} task answered ${res.status}`);
        }),
      );
    }
    if (mail.some((e) => isReady(e) && !readyBefore.has(e.messageId))) break;
    if (performance.now() - t0 > 120_000) throw new Error('no "ready" email within two minutes');
    await sleep(50);
  }
  await Promise.all(answers);
  const cpu = process.cpuUsage(cpu0);
  return { seconds: (performance.now() - t0) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
}

/** The mail the local SES received since `since` (epoch seconds), through its `/store` page. */
async function mailSince(rt: TestRuntime, since: number): Promise<SentEmail[]> {
  const res = await fetch(`${rt.mailUrl}/store?since=${since}`);
  return ((await res.json()) as { emails: SentEmail[] }).emails;
}

async function timeConfig(config: Config, rounds: number): Promise<{ time: number; cpu: number }> {
  // The scheduled sweeps are not part of a request: a test runtime runs them every 100 ms, back to
  // back on the runtime's one thread (`npm start` every 30 s, AWS every few minutes), which timed
  // them as much as the request.
  // The store in a process of its own, as `npm start` runs it (local/store-process.ts).
  const store = await startStoreProcess();
  const rt = await startRuntimeWithSystems(
    { systems: config.systems },
    { schedules: [], dynamodbEndpoint: store.endpoint },
  );
  try {
    await oneRequest(rt, config, 1); // warm: modules loaded, connections open
    const runs: { seconds: number; cpu: number }[] = [];
    for (let i = 0; i < rounds; i++) runs.push(await oneRequest(rt, config, i + 2));
    const time = median(runs.map((r) => r.seconds));
    const cpu = median(runs.map((r) => r.cpu));
    console.log(
      `${config.name.padEnd(44)} ${runs.map((r) => r.seconds.toFixed(2)).join(' ')} s  median ${time.toFixed(2)} s, CPU ${cpu.toFixed(2)} s`,
    );
    return { time, cpu };
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
    const own: { name: string; time: number; cpu: number }[] = [];
    for (const c of singles) own.push({ name: c.name, ...(await timeConfig(c, rounds)) });
    const { time, cpu } = await timeConfig(five, rounds);
    const slowest = own.reduce((a, b) => (b.time > a.time ? b : a));
    // The runtime is one thread: five systems' work adds up there, where in AWS each is a Lambda of
    // its own. What the systems cost alone, from the single runs: Koha, the records table, and three
    // times what one manual system adds to the records table (one request's own work counted twice).
    const [tableCpu, kohaCpu, manualCpu] = own.map((o) => o.cpu) as [number, number, number];
    const partsCpu = kohaCpu + tableCpu + 3 * (manualCpu - tableCpu);
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
          `CPU of this one process (runtime, local SES, Koha simulator; not the store's process) ${cpu.toFixed(2)} s vs ${slowest.cpu.toFixed(2)} s; ` +
          `its five systems' own CPU from the single runs ${partsCpu.toFixed(2)} s`,
      },
    ];
  } finally {
    await sim.close();
  }
}

if (isMain(import.meta.url)) printTable(await benchFanOut(Number(process.argv[2] ?? 3)));
