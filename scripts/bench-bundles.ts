/**
 * Bundle sizes (issue 15): every function bundled as the stack bundles it (esbuild with
 * infra/constructs/service-function.ts's LAMBDA_ESBUILD and functionEsbuild, and the `PD_BUNDLE_*`
 * constants its FUNCTION_ACCESS entry gives functions/lib/deps.ts), measured against
 * BUNDLE_LIMIT_BYTES, with what fills the largest (esbuild's metafile, by package or folder); then
 * the SDK layer every function imports the SDK from (infra/sdk-layer.ts), file by file.
 *
 *   npm run bench:bundles [-- --no-secrets] [-- --bundled-sdk | --external-sdk]
 *
 * By default each function that may read records is bundled as granted a systems file's secrets
 * (the larger case); `--no-secrets` bundles as without a systems file. The SDK comes from the
 * layer, as in the stack; `--bundled-sdk` bundles it into each function instead (the stack before
 * the layer), `--external-sdk` leaves it to the Lambda runtime's copy, both to compare. Source
 * maps are left out: they are a separate file, not loaded unless an error is printed. Not part of
 * `npm test`.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import {
  BUNDLE_LIMIT_BYTES,
  functionEsbuild,
  LAMBDA_ESBUILD,
  SDK_LAYER_ESBUILD,
  sdkImports,
} from '../infra/constructs/service-function.ts';
import { HANDLERS_DIR, INFRA_FUNCTIONS_DIR, REPO_ROOT } from '../infra/paths.ts';
import { bundleDefines } from '../infra/privacy-desk-stack.ts';
import { buildSdkLayer, LAYER_ASSET_SUBDIR, LAYER_MOUNT_DIR, type BuiltLayer } from '../infra/sdk-layer.ts';
import { FUNCTION_ACCESS, FUNCTIONS } from '../workflows/index.ts';
import type { BenchRow } from './bench-row.ts';
import { median } from './bench-stats.ts';

/**
 * Where a bundle takes the SDK from: the layer (the stack), bundled into itself (the stack before
 * the layer), or the Lambda runtime's copy (rejected: README, Bundle size and cold start).
 */
export type SdkSource = 'layer' | 'bundled' | 'runtime';

/** The SDK source a bench's command line asks for: `--bundled-sdk`, `--external-sdk`, else the layer. */
export function sdkSourceOf(argv: readonly string[]): SdkSource {
  if (argv.includes('--bundled-sdk')) return 'bundled';
  if (argv.includes('--external-sdk')) return 'runtime';
  return 'layer';
}

/** The SDK layer, built as the stack builds it, into the asset folder `dir`; its SDK folder is `${dir}/nodejs/sdk`. */
export function buildLayer(dir: string): BuiltLayer & { mount: string } {
  return { ...buildSdkLayer(dir, sdkImports(), SDK_LAYER_ESBUILD), mount: join(dir, LAYER_ASSET_SUBDIR) };
}

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
      const entry = join(HANDLERS_DIR, `${name}.ts`);
      return { name, entry, define: bundleDefines(access, secrets && access.records !== 'none', entry) };
    }),
    { name: 'origin-verify', entry: join(INFRA_FUNCTIONS_DIR, 'origin-verify.ts'), define: {} },
  ];
}

/**
 * One function bundled as the stack does, from its file or from `source` text (a floor); written
 * to `outfile` when given (the cold-start bench and test/infra load it). With the SDK from the
 * layer, its imports name the layer's files under `layerMount` (in Lambda, LAYER_MOUNT_DIR).
 */
export async function bundle(
  entry: string | { source: string },
  define: Record<string, string>,
  outfile?: string,
  sdk: SdkSource = 'layer',
  layerMount: string = LAYER_MOUNT_DIR,
): Promise<{ bytes: number; metafile: Metafile }> {
  const fromLayer = functionEsbuild(layerMount);
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
    alias: sdk === 'layer' ? fromLayer.alias : LAMBDA_ESBUILD.alias,
    external: sdk === 'layer' ? fromLayer.external : sdk === 'runtime' ? ['@aws-sdk/*'] : [],
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

export async function bundleAll(secrets = true, sdk: SdkSource = 'layer'): Promise<Bundle[]> {
  const bundles: Bundle[] = [];
  for (const e of stackEntries(secrets)) bundles.push({ ...e, ...(await bundle(e.entry, e.define, undefined, sdk)) });
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

/** Layer files (relative to its SDK folder) a bundle imports from the layer mounted at `mount`. */
export function layerFilesImported(bundleMetafile: Metafile, mount: string = LAYER_MOUNT_DIR): string[] {
  const output = Object.values(bundleMetafile.outputs)[0];
  return (output?.imports ?? [])
    .filter((i) => i.external && i.path.startsWith(`${mount}/`))
    .map((i) => i.path.slice(mount.length + 1));
}

/**
 * Bytes of the layer a function loads at init: the entries it imports and every chunk they import
 * statically (chunks the SDK imports dynamically load only when used).
 */
export function layerBytesLoaded(layer: BuiltLayer, entries: readonly string[]): number {
  const sdkDir = join(layer.dir, LAYER_ASSET_SUBDIR);
  const byFile = new Map(
    Object.entries(layer.metafile.outputs).map(([path, out]) => [relative(sdkDir, join(REPO_ROOT, path)), out]),
  );
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const i of byFile.get(file)?.imports ?? [])
      if (i.kind === 'import-statement') visit(relative(sdkDir, join(REPO_ROOT, i.path)));
  };
  entries.forEach(visit);
  return [...seen].reduce((sum, file) => sum + (byFile.get(file)?.bytes ?? 0), 0);
}

/** For `npm run bench`: one row, the bundles' median and largest against the limit, and the SDK layer's size. */
export async function measureBundles(): Promise<BenchRow[]> {
  const row = summary(await bundleAll());
  const dir = await mkdtemp(join(tmpdir(), 'pd-bench-layer-'));
  try {
    const layer = buildLayer(dir);
    return [{ ...row, note: `${row.note}; SDK layer ${kb(layer.files.reduce((sum, f) => sum + f.bytes, 0))}` }];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const secrets = !process.argv.includes('--no-secrets');
  const sdk = sdkSourceOf(process.argv);
  const bundles = await bundleAll(secrets, sdk);
  const from = { layer: 'the SDK from the layer', bundled: 'the SDK bundled', runtime: 'the runtime’s SDK' }[sdk];
  const dir = await mkdtemp(join(tmpdir(), 'pd-bench-layer-'));
  try {
    const layer = sdk === 'layer' ? buildLayer(dir) : undefined;
    console.log(
      `Function bundles (${secrets ? 'granted a systems file’s secrets' : 'no systems file'}, ${from}), ` +
        `limit ${kb(BUNDLE_LIMIT_BYTES)}${layer ? '; then what each loads from the layer at init' : ''}:`,
    );
    for (const b of [...bundles].sort((x, y) => y.bytes - x.bytes)) {
      const top = contents(b.metafile)
        .slice(0, 4)
        .map(([what, bytes]) => `${what} ${kb(bytes)}`)
        .join(', ');
      const flag = b.bytes > BUNDLE_LIMIT_BYTES ? ' OVER' : '';
      const loaded = layer ? `+${kb(layerBytesLoaded(layer, layerFilesImported(b.metafile)))}`.padStart(8) : '';
      console.log(`${kb(b.bytes).padStart(7)}${flag.padEnd(5)}${loaded} ${b.name.padEnd(34)} ${top}`);
    }
    console.log(summary(bundles).note);
    if (layer) {
      const total = layer.files.reduce((sum, f) => sum + f.bytes, 0);
      const entries = layer.files.filter((f) => !f.path.startsWith('chunks/')).length;
      console.log(
        `\nThe SDK layer (${LAYER_MOUNT_DIR}): ${kb(total)} in ${layer.files.length} files, ${entries} entries ` +
          `and their shared chunks; ${Object.keys(layer.versions).length} packages, as in package-lock.json:`,
      );
      for (const f of [...layer.files].sort((x, y) => y.bytes - x.bytes))
        console.log(`${kb(f.bytes).padStart(7)}  ${f.path}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
