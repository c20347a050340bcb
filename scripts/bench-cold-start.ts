/**
 * Cold start (issue 15): each function's module init, that is the time to import its bundle
 * (built as the stack builds it, scripts/bench-bundles.ts) and run its top-level code, in a fresh
 * Node 24 process, against a floor: a bare handler, bundled the same way, that imports only the
 * SDK clients its FUNCTION_ACCESS entry lets it use. Medians of several runs, function and floor
 * interleaved so that the machine's load falls on both alike.
 *
 *   npm run bench:cold-start [-- --runs=7] [-- --only=act,download] [-- --compare-bundled]
 *                            [-- --bundled-sdk | --external-sdk]
 *
 * The floor takes its SDK from where the function does: both import it from the SDK layer, built as
 * the stack builds it (infra/sdk-layer.ts) into a temporary folder standing for /opt/nodejs/sdk;
 * with `--bundled-sdk` both bundle it (the stack before the layer); with `--external-sdk` both
 * import the project's installed SDK (standing in for the Lambda runtime's copy).
 * `--compare-bundled` measures, in the same run and interleaved, each function and its floor with
 * the SDK bundled too, and prints both: what the layer costs or saves at init.
 *
 * Measures what Lambda's init phase runs; the dependencies a handler builds on its first
 * invocation (functions/lib/deps.ts, lambdaEntry) are not part of it. Not part of `npm test`.
 *
 * Each import is timed twice: elapsed, and the CPU time the process spent on it (user and system,
 * every thread), which a machine shared with other work disturbs much less: a process waiting for a
 * core adds to the first, not the second. The CPU time is also the closer model of a deployed init:
 * at the stack's 1024 MB a function gets 0.58 vCPU-seconds a second however many cores it sees, so
 * the background threads a floor's import spreads over this machine's second core are paid for in
 * its time there (README, Bundle size and cold start).
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../infra/paths.ts';
import { FUNCTION_ACCESS, type FunctionAccess, type FunctionName } from '../workflows/index.ts';
import { buildLayer, bundle, sdkSourceOf, stackEntries, type SdkSource } from './bench-bundles.ts';
import type { BenchRow } from './bench-row.ts';
import { median } from './bench-stats.ts';

/** The SDK clients a function may use, from its access: what its floor imports. */
export function floorSource(access: FunctionAccess | undefined, secrets: boolean): string {
  const clients: [string, string][] = [];
  if (access) {
    clients.push(['DynamoDBClient', '@aws-sdk/client-dynamodb'], ['DynamoDBDocumentClient', '@aws-sdk/lib-dynamodb']);
    if (access.files !== 'none' || (access.documents ?? 'none') !== 'none' || access.auditHeads)
      clients.push(['S3Client', '@aws-sdk/client-s3']);
    // Links to files and documents are presigned; files are uploaded in parts.
    if (access.files !== 'none' || (access.documents ?? 'none') !== 'none')
      clients.push(['getSignedUrl', '@aws-sdk/s3-request-presigner']);
    if (access.files !== 'none') clients.push(['Upload', '@aws-sdk/lib-storage']);
    if (access.email) clients.push(['SESv2Client', '@aws-sdk/client-sesv2']);
    if (access.workflow !== 'none') clients.push(['SFNClient', '@aws-sdk/client-sfn']);
    // R17: every function reads or appends the audit trail under the audit key (KMS), not only
    // those that fingerprint.
    clients.push(['KMSClient', '@aws-sdk/client-kms']);
    if (secrets) clients.push(['SecretsManagerClient', '@aws-sdk/client-secrets-manager']);
  }
  return [
    ...clients.map(([name, from]) => `import { ${name} } from '${from}';`),
    `export const handler = async () => [${clients.map(([name]) => name).join(', ')}].length;`,
  ].join('\n');
}

/** Milliseconds to import `file` in a fresh Node process (this one's: the project's Node 24): elapsed and CPU. */
function importTime(file: string): { ms: number; cpuMs: number } {
  const code =
    'const c = process.cpuUsage(); const t = performance.now(); await import(process.argv[1]);' +
    ' const u = process.cpuUsage(c); process.stdout.write(`${performance.now() - t} ${(u.user + u.system) / 1000}`);';
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', code, pathToFileURL(file).href], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1' },
  });
  const [ms, cpuMs] = run.stdout.split(' ').map(Number);
  if (run.status !== 0 || !Number.isFinite(ms) || !Number.isFinite(cpuMs))
    throw new Error(`import of ${file} failed: ${run.stderr.slice(0, 400)}`);
  return { ms: ms!, cpuMs: cpuMs! };
}

export interface Init {
  initMs: number;
  floorMs: number;
  ratio: number;
  /** The same imports' CPU time (medians), and their ratio. */
  initCpuMs: number;
  floorCpuMs: number;
  cpuRatio: number;
}

export interface ColdStart extends Init {
  name: string;
  /** The same function and floor with the SDK bundled, measured in the same run (`--compare-bundled`). */
  bundled?: Init;
}

export async function coldStarts(
  runs = 5,
  only?: readonly string[],
  sdk: SdkSource = 'layer',
  compareBundled = false,
): Promise<ColdStart[]> {
  if (!process.versions.node.startsWith('24.')) throw new Error('run through npm (the project’s Node 24)');
  // Inside the project, so that the SDK left out of the bundles resolves to its node_modules.
  await mkdir(join(REPO_ROOT, 'cdk.out'), { recursive: true });
  const dir = await mkdtemp(join(REPO_ROOT, 'cdk.out', 'cold-start-'));
  try {
    const mount = sdk === 'layer' ? buildLayer(join(dir, 'layer')).mount : undefined;
    const results: ColdStart[] = [];
    for (const e of stackEntries()) {
      if (only && !only.includes(e.name)) continue;
      const access = FUNCTION_ACCESS[e.name as FunctionName] as FunctionAccess | undefined;
      const secrets = e.define['process.env.PD_BUNDLE_SECRETS'] === '"true"';
      const floorEntry = { source: floorSource(access, secrets) };
      const pair = async (tag: string, from: SdkSource) => {
        const fn = join(dir, e.name, `index${tag}.mjs`);
        const floor = join(dir, e.name, `floor${tag}.mjs`);
        await bundle(e.entry, e.define, fn, from, mount);
        await bundle(floorEntry, {}, floor, from, mount);
        type Timed = { ms: number; cpuMs: number };
        return { fn, floor, times: [] as Timed[], floors: [] as Timed[] };
      };
      const measured = [await pair('', sdk), ...(compareBundled ? [await pair('-bundled', 'bundled')] : [])];
      // Interleaved: each run imports every variant once, so the load falls on all of them alike.
      for (let i = 0; i < runs; i++)
        for (const m of measured) {
          m.times.push(importTime(m.fn));
          m.floors.push(importTime(m.floor));
        }
      const [main, bundled] = measured.map((m): Init => {
        const initMs = median(m.times.map((t) => t.ms));
        const floorMs = median(m.floors.map((t) => t.ms));
        const initCpuMs = median(m.times.map((t) => t.cpuMs));
        const floorCpuMs = median(m.floors.map((t) => t.cpuMs));
        return { initMs, floorMs, ratio: initMs / floorMs, initCpuMs, floorCpuMs, cpuRatio: initCpuMs / floorCpuMs };
      });
      results.push({ name: e.name, ...main!, ...(bundled ? { bundled } : {}) });
    }
    return results;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** For `npm run bench`: one row, the functions' median init against their floors, and the worst. */
export async function measureColdStarts(runs = 5): Promise<BenchRow[]> {
  const all = await coldStarts(runs);
  const worst = all.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  const worstCpu = all.reduce((a, b) => (b.cpuRatio > a.cpuRatio ? b : a));
  const initMs = median(all.map((c) => c.initMs));
  const floorMs = median(all.map((c) => c.floorMs));
  const cpu = median(all.map((c) => c.initCpuMs)) / median(all.map((c) => c.floorCpuMs));
  return [
    {
      job: `cold start, module init (${all.length} functions, median)`,
      time: initMs / 1000,
      floor: floorMs / 1000,
      ratio: initMs / floorMs,
      note:
        `worst ${worst.name} ${worst.ratio.toFixed(2)}× (${worst.initMs.toFixed(0)} vs ${worst.floorMs.toFixed(0)} ms); ` +
        `CPU ${cpu.toFixed(2)}×, worst ${worstCpu.name} ${worstCpu.cpuRatio.toFixed(2)}×`,
    },
  ];
}

async function main(): Promise<void> {
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const runs = Number(arg('runs') ?? 5);
  const only = arg('only')?.split(',');
  const sdk = sdkSourceOf(process.argv);
  const compareBundled = process.argv.includes('--compare-bundled') && sdk !== 'bundled';
  const all = await coldStarts(runs, only, sdk, compareBundled);
  const from = {
    layer: 'the SDK from the layer',
    bundled: 'the SDK bundled',
    runtime: 'the installed SDK, left out of the bundle',
  }[sdk];
  console.log(`Module init (${from}), median of ${runs} fresh Node ${process.version} processes each (ms):`);
  const cols = (c: Init) =>
    `${c.initMs.toFixed(1).padStart(7)} ${c.floorMs.toFixed(1).padStart(7)}  ${c.ratio.toFixed(2).padStart(5)}` +
    `   ${c.initCpuMs.toFixed(1).padStart(7)} ${c.floorCpuMs.toFixed(1).padStart(7)}  ${c.cpuRatio.toFixed(2).padStart(5)}`;
  console.log(
    `${'function'.padEnd(34)} ${'init'.padStart(7)} ${'floor'.padStart(7)}  ratio` +
      `   ${'CPU'.padStart(7)} ${'floor'.padStart(7)}  ratio` +
      (compareBundled
        ? `   | SDK bundled: ${'init'.padStart(7)} ${'floor'.padStart(7)}  ratio   ${'CPU'.padStart(7)} ${'floor'.padStart(7)}  ratio` +
          '   init, layer/bundled'
        : ''),
  );
  for (const c of [...all].sort((a, b) => b.ratio - a.ratio))
    console.log(
      `${c.name.padEnd(34)} ${cols(c)}` +
        (c.bundled ? `   |              ${cols(c.bundled)}   ${(c.initMs / c.bundled.initMs).toFixed(2)}` : ''),
    );
  const over = all.filter((c) => c.ratio > 1.3).map((c) => c.name);
  console.log(over.length ? `over 1.3×: ${over.join(', ')}` : 'every function within 1.3× of its floor');
  const overCpu = all.filter((c) => c.cpuRatio > 1.3).map((c) => c.name);
  console.log(overCpu.length ? `CPU over 1.3×: ${overCpu.join(', ')}` : 'CPU: every function within 1.3× of its floor');
  const medianOf = (f: (c: ColdStart) => number) => median(all.map(f)).toFixed(2);
  console.log(`median ratio ${medianOf((c) => c.ratio)}×, CPU ${medianOf((c) => c.cpuRatio)}×`);
  const compared = all.flatMap((c) => (c.bundled ? [c as ColdStart & { bundled: Init }] : []));
  if (compared.length > 0) {
    const ratios = compared.map((c) => c.initMs / c.bundled.initMs);
    const floors = compared.map((c) => c.floorMs / c.bundled.floorMs);
    console.log(
      `module init with the layer against the SDK bundled, same run: median ${median(ratios).toFixed(2)}× ` +
        `(from ${Math.min(...ratios).toFixed(2)}× to ${Math.max(...ratios).toFixed(2)}×); ` +
        `floors ${median(floors).toFixed(2)}×`,
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
