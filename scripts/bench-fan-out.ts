/**
 * Fan-out budget (R19, issue #15): a request across five configured systems (the records table,
 * Koha through its simulator, three manual systems whose staff answer at once) finishes its
 * automated part in about the time of its slowest system alone.
 *
 *   npx tsx scripts/bench-fan-out.ts [rounds=3]     (not part of npm test)
 *
 * Each configuration runs in a whole local runtime (the real access workflow on the local engine,
 * dynalite, local SES, the Koha simulator over HTTP), driven as a person would: the access request
 * submitted, the verification link followed, every manual system's task link answered "done" the
 * moment its email arrives, until the patron's "ready" email. Timed from the verification to that
 * email; one untimed request first warms each runtime, then the median of `rounds` requests.
 * A manual system cannot be a request's only system (someone must find the patron), so its own
 * time is measured beside the records table, which only makes it longer.
 */
import { ADA, linkIn, submit, type TestRuntime } from '../test/support/runtime.ts';
import { postForm } from '../test/support/http.ts';
import {
  ADA_IN_KOHA,
  KOHA_SPEC,
  RECORDS_TABLE,
  answerManualSystem,
  kohaSystems,
  seedKohaAda,
  startKoha,
  startRuntimeWithSystems,
} from '../test/support/systems.ts';
import { isMain } from './bench-measure.ts';
import type { BenchRow } from './bench-row.ts';
import { printTable } from './bench-table.ts';

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

/** One access request, from the verification link to the "ready" email, staff answering each task at once. */
async function oneRequest(rt: TestRuntime, config: Config, nth: number): Promise<{ seconds: number; cpu: number }> {
  const { body } = await submit(rt, { kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
  const verify = await rt.mail.waitFor(config.email, /confirm your privacy request/, nth, 60_000);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const confirmed = await postForm(linkIn(verify, 'act'), { decision: 'confirm' });
  if (confirmed.status !== 200) throw new Error(`confirm answered ${confirmed.status}`);
  await Promise.all(config.manualIds.map((id) => answerManualSystem(rt, body.requestId, id, { state: 'done' })));
  await rt.mail.waitFor(config.email, /are ready/, nth, 60_000);
  const cpu = process.cpuUsage(cpu0);
  return { seconds: (performance.now() - t0) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function timeConfig(config: Config, rounds: number): Promise<{ time: number; cpu: number }> {
  const rt = await startRuntimeWithSystems({ systems: config.systems });
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
          `CPU of this one process (runtime, dynalite, SES, Koha simulator) ${cpu.toFixed(2)} s vs ${slowest.cpu.toFixed(2)} s`,
      },
    ];
  } finally {
    await sim.close();
  }
}

if (isMain(import.meta.url)) printTable(await benchFanOut(Number(process.argv[2] ?? 3)));
