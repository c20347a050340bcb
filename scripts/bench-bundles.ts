/**
 * Bundle sizes (issue 15): every function bundled as the stack bundles it (esbuild with
 * infra/constructs/service-function.ts's LAMBDA_ESBUILD, and the `PD_BUNDLE_*` constants its
 * FUNCTION_ACCESS entry gives functions/lib/deps.ts), measured against BUNDLE_LIMIT_BYTES, with
 * what fills the largest (esbuild's metafile, by package or folder).
 *
 *   npm run bench:bundles [-- --no-secrets] [-- --external-sdk]
 *
 * By default each function that may read records is bundled as granted a systems file's secrets
 * (the larger case); `--no-secrets` bundles as without a systems file. The SDK is bundled as the
 * stack bundles it (LAMBDA_ESBUILD.external is empty); `--external-sdk` leaves it to the Lambda
 * runtime's copy instead, to compare. Source maps are left out:
 * they are a separate file, not loaded unless an error is printed. Not part of `npm test`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { BUNDLE_LIMIT_BYTES, LAMBDA_ESBUILD } from '../infra/constructs/service-function.ts';
import { HANDLERS_DIR, INFRA_FUNCTIONS_DIR, REPO_ROOT } from '../infra/paths.ts';
import { bundleDefines } from '../infra/privacy-desk-stack.ts';
import { FUNCTION_ACCESS, FUNCTIONS } from '../workflows/index.ts';
import type { BenchRow } from './bench-row.ts';

export interface Bundle {
  name: string;
  entry: string;
  /** esbuild `define`: the constants the stack gives this function. */
  define: Record<string, string>;
  bytes: number;
  metafile: Metafile;
}

/** Every function of the stack: the application's (FUNCTIONS) and the origin authorizer. */
export function stackEntries(secrets = true): { name: string; entry: string; define: Record<string, string> }[] {
  return [
    ...FUNCTIONS.map((name) => {
      const access = FUNCTION_ACCESS[name];
      return {
        name,
        entry: join(HANDLERS_DIR, `${name}.ts`),
        define: bundleDefines(access, secrets && access.records !== 'none'),
      };
    }),
    { name: 'origin-verify', entry: join(INFRA_FUNCTIONS_DIR, 'origin-verify.ts'), define: {} },
  ];
}

/**
 * One function bundled as the stack does, from its file or from `source` text (a floor); written
 * to `outfile` when given (the cold-start bench loads it).
 */
export async function bundle(
  entry: string | { source: string },
  define: Record<string, string>,
  outfile?: string,
  externalSdk = false,
): Promise<{ bytes: number; metafile: Metafile }> {
  const result = await build({
    ...(typeof entry === 'string'
      ? { entryPoints: [entry] }
      : { stdin: { contents: entry.source, resolveDir: REPO_ROOT, loader: 'ts' as const } }),
    absWorkingDir: REPO_ROOT,
    bundle: true,
    platform: 'node',
    format: LAMBDA_ESBUILD.format,
    target: LAMBDA_ESBUILD.target,
    mainFields: [...LAMBDA_ESBUILD.mainFields],
    minify: LAMBDA_ESBUILD.minify,
    banner: { js: LAMBDA_ESBUILD.banner },
    alias: LAMBDA_ESBUILD.alias,
    external: externalSdk ? ['@aws-sdk/*'] : [...LAMBDA_ESBUILD.external],
    define,
    metafile: true,
    write: false,
    outfile: outfile ?? join(REPO_ROOT, 'cdk.out', 'bench-bundle.mjs'),
    logLevel: 'error',
  });
  const [js] = result.outputFiles;
  if (!js) throw new Error('esbuild wrote nothing');
  if (outfile) {
    await mkdir(join(outfile, '..'), { recursive: true });
    await writeFile(outfile, js.contents);
  }
  return { bytes: js.contents.byteLength, metafile: result.metafile };
}

export async function bundleAll(secrets = true, externalSdk = false): Promise<Bundle[]> {
  const bundles: Bundle[] = [];
  for (const e of stackEntries(secrets))
    bundles.push({ ...e, ...(await bundle(e.entry, e.define, undefined, externalSdk)) });
  return bundles;
}

/** Bytes in a bundle by npm package, or by the project's folder (two levels) for its own code. */
export function contents(metafile: Metafile): [string, number][] {
  const output = Object.values(metafile.outputs)[0];
  const by = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
    const key = pkg ?? path.split('/').slice(0, 2).join('/');
    by.set(key, (by.get(key) ?? 0) + bytesInOutput);
  }
  return [...by].sort((a, b) => b[1] - a[1]);
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function summary(bundles: Bundle[]): BenchRow {
  const sizes = bundles.map((b) => b.bytes);
  const largest = bundles.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  const over = bundles.filter((b) => b.bytes > BUNDLE_LIMIT_BYTES).length;
  return {
    job: `function bundles (${bundles.length})`,
    note:
      `median ${kb(median(sizes))}, max ${kb(largest.bytes)} (${largest.name}); ` +
      `${over} over ${kb(BUNDLE_LIMIT_BYTES)}`,
  };
}

/** For `npm run bench`: one row, the bundles' median and largest against the limit. */
export async function measureBundles(): Promise<BenchRow[]> {
  return [summary(await bundleAll())];
}

async function main(): Promise<void> {
  const secrets = !process.argv.includes('--no-secrets');
  const externalSdk = process.argv.includes('--external-sdk');
  const bundles = await bundleAll(secrets, externalSdk);
  console.log(
    `Function bundles (${secrets ? 'granted a systems file’s secrets' : 'no systems file'}, ` +
      `${externalSdk ? 'the runtime’s SDK' : 'the SDK bundled'}), limit ${kb(BUNDLE_LIMIT_BYTES)}:`,
  );
  for (const b of [...bundles].sort((x, y) => y.bytes - x.bytes)) {
    const top = contents(b.metafile)
      .slice(0, 4)
      .map(([what, bytes]) => `${what} ${kb(bytes)}`)
      .join(', ');
    const flag = b.bytes > BUNDLE_LIMIT_BYTES ? ' OVER' : '';
    console.log(`${kb(b.bytes).padStart(7)}${flag.padEnd(5)} ${b.name.padEnd(34)} ${top}`);
  }
  console.log(summary(bundles).note);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
