/**
 * Koha read benchmark (issue #11, ARCHITECTURE.md budgets; R19): a patron with a long checkout
 * history is read through the Koha connector in time close to a plain loop fetching the same pages
 * from the same simulator, with memory that stays flat.
 *
 *   npm run bench:koha -- [returned=100000] [perPage=100]
 *
 * Starts the Koha simulator (test/support/koha-simulator, spec-validated like in the tests), gives
 * one patron `returned` checked-in checkouts, then alternates: a plain loop (fetch, JSON, count)
 * over `GET /checkouts?checked_in=true` page by page, and the connector's `library-records` read
 * (zod-parsed, mapped, paged). RSS and heap are sampled every 10 ms. Not part of `npm test`; the
 * numbers depend on the machine.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { KohaConnector } from '../functions/connectors/koha/index.ts';
import { startKohaSimulator } from '../test/support/koha-simulator/index.ts';
import { isMain } from './bench-measure.ts';
import type { BenchRow } from './bench-row.ts';
import { printTable } from './bench-table.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const GOAL_RATIO = 1.3;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MB = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

interface Run {
  ms: number;
  /** CPU time of this process (client and simulator alike): steadier than wall time on a busy machine. */
  cpuMs: number;
  items: number;
  startRss: number;
  peakRss: number;
  startHeap: number;
  peakHeap: number;
  /** Heap still in use after the run and a full GC, over where it started: what the read kept. */
  retained: number;
}

async function measured(fn: () => Promise<number>): Promise<Run> {
  gc();
  const start = process.memoryUsage();
  const run: Run = {
    ms: 0,
    cpuMs: 0,
    items: 0,
    startRss: start.rss,
    peakRss: start.rss,
    startHeap: start.heapUsed,
    peakHeap: start.heapUsed,
    retained: 0,
  };
  const sample = () => {
    const m = process.memoryUsage();
    run.peakRss = Math.max(run.peakRss, m.rss);
    run.peakHeap = Math.max(run.peakHeap, m.heapUsed);
  };
  const timer = setInterval(sample, 10);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  try {
    run.items = await fn();
  } finally {
    run.ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    run.cpuMs = (cpu.user + cpu.system) / 1000;
    clearInterval(timer);
    sample();
    gc();
    run.retained = process.memoryUsage().heapUsed - start.heapUsed;
  }
  return run;
}

const line = (label: string, r: Run) =>
  `${label.padEnd(22)} ${(r.ms / 1000).toFixed(2).padStart(6)} s (cpu ${(r.cpuMs / 1000).toFixed(2)} s)  ${String(r.items).padStart(7)} items  ` +
  `RSS ${MB(r.startRss)} -> peak ${MB(r.peakRss)}  heap ${MB(r.startHeap)} -> peak ${MB(r.peakHeap)} (+${MB(r.peakHeap - r.startHeap)}), retained ${MB(r.retained)}`;

/** Reads `returned` checkouts through the connector and by a plain loop: one row for `npm run bench`. */
export async function benchKohaRead(RETURNED: number, PER_PAGE = 100): Promise<BenchRow[]> {
  const basic = { user: 'bench', password: 'bench-password' };
  const sim = await startKohaSimulator({ basicUsers: [basic] });
  try {
    const patronId = sim.data.addPatron({ cardnumber: '21000000001', surname: 'Bench' });
    sim.data.addReturnedCheckouts(patronId, RETURNED);
    const authorization = `Basic ${Buffer.from(`${basic.user}:${basic.password}`).toString('base64')}`;
    const koha = new KohaConnector({
      systemId: 'ils',
      baseUrl: sim.baseUrl,
      auth: { type: 'basic', ...basic },
      timeoutMs: 30_000,
      pageSize: PER_PAGE,
    });
    const ref = { systemId: 'ils', patronId: String(patronId) };

    /** The baseline: fetch each page, parse its JSON, count it, nothing else. */
    const plainLoop = async () => {
      let items = 0;
      for (let page = 1; ; page++) {
        const url = `${sim.baseUrl}/checkouts?patron_id=${patronId}&checked_in=true&_page=${page}&_per_page=${PER_PAGE}`;
        const res = await fetch(url, { headers: { authorization, accept: 'application/json' } });
        const body = (await res.json()) as unknown[];
        items += body.length;
        if (body.length < PER_PAGE) return items;
      }
    };
    const throughConnector = async () => {
      let items = 0;
      for await (const page of koha.readRecords(ref, 'library-records'))
        for (const r of page.records) if (r.type === 'loan' && r.returnedAt !== null) items++;
      return items;
    };

    console.log(`Koha read: ${RETURNED} returned checkouts, ${PER_PAGE} per page, ${ROUNDS} rounds (best of each)\n`);
    await plainLoop(); // warm up both paths (JIT, sockets, compiled validators)
    await throughConnector();
    const plain: Run[] = [];
    const viaConnector: Run[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternate which goes first, so neither always inherits the other's leftovers.
      const runPlain = async () => {
        const r = await measured(plainLoop);
        console.log(line(`plain loop #${round}`, r));
        return r;
      };
      const runConnector = async () => {
        const r = await measured(throughConnector);
        console.log(line(`connector #${round}`, r));
        return r;
      };
      const [p, c] =
        round % 2 === 1
          ? [await runPlain(), await runConnector()]
          : await runConnector().then(async (r) => [await runPlain(), r] as const);
      if (p.items !== RETURNED || c.items !== RETURNED) throw new Error(`read ${p.items} / ${c.items} of ${RETURNED}`);
      plain.push(p);
      viaConnector.push(c);
    }
    const best = (runs: Run[]) => Math.min(...runs.map((r) => r.ms));
    const bestCpu = (runs: Run[]) => Math.min(...runs.map((r) => r.cpuMs));
    const ratio = best(viaConnector) / best(plain);
    const cpuRatio = bestCpu(viaConnector) / bestCpu(plain);
    const heapGrowth = Math.max(...viaConnector.map((r) => r.peakHeap - r.startHeap));
    const plainGrowth = Math.max(...plain.map((r) => r.peakHeap - r.startHeap));
    const retained = Math.max(...viaConnector.map((r) => r.retained));
    console.log(
      `\nbest: plain ${(best(plain) / 1000).toFixed(2)} s, connector ${(best(viaConnector) / 1000).toFixed(2)} s, ` +
        `ratio ${ratio.toFixed(2)} (goal <= ${GOAL_RATIO}); cpu ratio ${cpuRatio.toFixed(2)}\n` +
        `heap: peak growth connector ${MB(heapGrowth)} vs plain loop ${MB(plainGrowth)} (garbage between collections); ` +
        `retained after the connector's read ${MB(retained)}`,
    );
    if (sim.violations.length > 0) throw new Error(`spec violations: ${sim.violations.slice(0, 3).join('; ')}`);
    return [
      {
        job: `Koha read (${RETURNED} returned checkouts)`,
        time: best(viaConnector) / 1000,
        floor: best(plain) / 1000,
        ratio,
        peakMemoryMb: Math.max(...viaConnector.map((r) => r.peakHeap)) / 1024 / 1024,
        note: `plain loop of the same pages from the same simulator; best of ${ROUNDS}; CPU ratio ${cpuRatio.toFixed(2)}`,
      },
    ];
  } finally {
    await sim.close();
  }
}

if (isMain(import.meta.url)) {
  const rows = await benchKohaRead(Number(process.argv[2] ?? 100_000), Number(process.argv[3] ?? 100));
  printTable(rows);
  if ((rows[0]?.ratio ?? 0) > GOAL_RATIO) process.exitCode = 1;
}
