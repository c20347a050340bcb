import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_LIMIT_BYTES, SDK_LAYER_ESBUILD, sdkImports } from '../../infra/constructs/service-function.ts';
import { buildSdkLayer, LAYER_ASSET_SUBDIR, layerFile, scanSdkImports } from '../../infra/sdk-layer.ts';
import { buildLayer, bundle, layerFilesImported, stackEntries } from '../../scripts/bench-bundles.ts';
import { exportsOf, load, loadAll } from './load-bundle.ts';
import { SYNTH_TIMEOUT_MS } from './synth.ts';

describe('the SDK layer and the function bundles that import it (issue 15)', () => {
  let dir: string;
  let mount: string;
  const entries = stackEntries();
  const bundles: Record<string, { file: string; bytes: number; imported: string[]; inputs: string[] }> = {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pd-sdk-layer-'));
    // The layer at a temporary path, standing for /opt/nodejs/sdk; every bundle built as the stack builds it.
    ({ mount } = buildLayer(join(dir, 'layer')));
    for (const e of entries) {
      const file = join(dir, 'functions', e.name, 'index.mjs');
      const { bytes, metafile } = await bundle(e.entry, e.define, file, 'layer', mount);
      const inputs = Object.keys(Object.values(metafile.outputs)[0]?.inputs ?? {});
      bundles[e.name] = { file, bytes, imported: layerFilesImported(metafile, mount), inputs };
    }
  }, SYNTH_TIMEOUT_MS);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it(
    'every function bundle loads in a fresh Node process against the layer: each name it imports, the layer exports',
    async () => {
      const results = await loadAll(entries.map((e) => bundles[e.name]!.file));
      const failed = Object.entries(results).filter(([, error]) => error !== '');
      expect(failed).toEqual([]);
    },
    SYNTH_TIMEOUT_MS,
  );

  it('every function bundle is at most 250 KB, and takes the SDK from the layer only (no bare @aws-sdk import)', async () => {
    for (const e of entries) {
      const { file, bytes } = bundles[e.name]!;
      expect(bytes, e.name).toBeLessThanOrEqual(BUNDLE_LIMIT_BYTES);
      expect(await readFile(file, 'utf8'), e.name).not.toMatch(/from\s*["']@(aws-sdk|smithy)\//);
    }
    // The application's functions use DynamoDB and KMS at least (the audit trail): from the layer.
    expect(bundles['task-set-status']!.imported).toEqual(
      expect.arrayContaining(['client-kms.mjs', 'lib-dynamodb.mjs']),
    );
  });

  it('a bundle carries only the stores and connector operations its code names (infra/store-usage.ts)', () => {
    const carries = (fn: string, source: string) => bundles[fn]!.inputs.includes(source);
    // task-set-status closes a request: its links (tokens), never a court order nor a system of record.
    expect(carries('task-set-status', 'functions/adapters/dynamodb/tokens.ts')).toBe(true);
    expect(carries('task-set-status', 'functions/adapters/dynamodb/court-orders.ts')).toBe(false);
    expect(carries('task-set-status', 'functions/connectors/people.ts')).toBe(false);
    // sweep-due-dates may read records (the staff list) but reaches no system: no connector.
    expect(carries('sweep-due-dates', 'functions/connectors/records-table/library-records.ts')).toBe(true);
    expect(carries('sweep-due-dates', 'functions/connectors/records-table/connector.ts')).toBe(false);
    expect(carries('api-court-orders', 'functions/adapters/dynamodb/court-orders.ts')).toBe(true);
    expect(carries('task-request-verification', 'functions/connectors/records-table/connector.ts')).toBe(true);
    // It finds and reads patrons through the connector, never erases: the erasure code is left out.
    expect(carries('task-request-verification', 'functions/connectors/records-table/erasure.ts')).toBe(false);
    expect(carries('task-reach-system', 'functions/connectors/records-table/erasure.ts')).toBe(true);
  });

  it('the layer has one entry per SDK module the Lambda code imports, each exporting exactly the names it imports', () => {
    const imports = sdkImports();
    expect([...imports.keys()]).toEqual(expect.arrayContaining(['@aws-sdk/client-dynamodb', '@aws-sdk/client-kms']));
    for (const [module, names] of imports) {
      expect(exportsOf(join(mount, layerFile(module))).sort(), module).toEqual([...names].sort());
    }
  });

  it(
    'a layer entry that lacks a name a function imports fails that function at load, naming the missing export',
    async () => {
      // The same layer, but its KMS entry without GenerateMacCommand (which the audit trail signs with).
      const broken = new Map(sdkImports());
      broken.set(
        '@aws-sdk/client-kms',
        broken.get('@aws-sdk/client-kms')!.filter((n) => n !== 'GenerateMacCommand'),
      );
      const brokenDir = join(dir, 'broken');
      buildSdkLayer(brokenDir, broken, SDK_LAYER_ESBUILD);
      const e = entries.find((x) => x.name === 'task-set-status')!;
      const file = join(dir, 'broken-fn', 'index.mjs');
      await bundle(e.entry, e.define, file, 'layer', join(brokenDir, LAYER_ASSET_SUBDIR));
      expect(await load(file)).toMatch(/does not provide an export named 'GenerateMacCommand'/);
    },
    SYNTH_TIMEOUT_MS,
  );
});

describe('the SDK names are read from the source, so a new import cannot be forgotten', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pd-sdk-scan-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const scan = async (source: string) => {
    const sub = await mkdtemp(join(dir, 'case-'));
    await mkdir(join(sub, 'lib'), { recursive: true });
    await writeFile(join(sub, 'lib', 'a.ts'), source);
    return scanSdkImports([sub]);
  };

  it('keeps value imports and re-exports, leaves out type-only ones, and reads renamed imports by their SDK name', async () => {
    const found = await scan(
      [
        "import { KMSClient, type KMSClientConfig, GenerateMacCommand as Mac } from '@aws-sdk/client-kms';",
        "import type { Pluggable } from '@smithy/types';",
        "export { S3Client } from '@aws-sdk/client-s3';",
      ].join('\n'),
    );
    expect(Object.fromEntries(found)).toEqual({
      '@aws-sdk/client-kms': ['GenerateMacCommand', 'KMSClient'],
      '@aws-sdk/client-s3': ['S3Client'],
    });
  });

  it.each([
    ["import * as kms from '@aws-sdk/client-kms';", /a namespace import/],
    ["import kms from '@aws-sdk/client-kms';", /a default import/],
    ["import '@aws-sdk/client-kms';", /a side-effect import/],
    ["export * from '@aws-sdk/client-kms';", /an `export \*`/],
    ["const kms = await import('@aws-sdk/client-kms');", /a dynamic import/],
  ])('refuses %s, which the layer could not serve by name', async (source, refusal) => {
    await expect(scan(source)).rejects.toThrow(refusal);
  });

  it('reads the application as it is: DynamoDB, its document client and KMS among the modules', () => {
    const imports = scanSdkImports();
    expect(imports.get('@aws-sdk/lib-dynamodb')).toEqual(expect.arrayContaining(['DynamoDBDocumentClient']));
    expect(imports.get('@aws-sdk/client-kms')).toEqual(expect.arrayContaining(['GenerateMacCommand', 'KMSClient']));
  });
});
