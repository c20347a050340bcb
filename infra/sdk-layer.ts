/**
 * The AWS SDK as one Lambda layer, shared by every function (issue 15, README "Bundle size and
 * cold start"). Built at synth by esbuild from the installed node_modules, so its versions are the
 * lock file's (the ones the tests ran), not the Lambda runtime's copy: one entry per SDK module the
 * application imports, each exporting exactly the names the application imports from it, split
 * into shared chunks (`@smithy/core` once for all clients), minified. A function's bundle imports
 * those entries by their absolute path in the layer and loads only the chunks its clients need.
 *
 * The list of modules and names is read from the source (`scanSdkImports`), so a new import cannot
 * be forgotten; test/infra/sdk-layer.test.ts loads every bundle against the built layer, because a
 * name a function imports that the layer lacks would fail only at init, in AWS.
 */
import { buildSync, type Metafile } from 'esbuild';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { INFRA_FUNCTIONS_DIR, REPO_ROOT } from './paths.ts';

/** The SDK packages the layer carries: every `@aws-sdk/*` and `@smithy/*` module imported for its values. */
const SDK_MODULE = /^@(aws-sdk|smithy)\/([^/]+)$/;

/** The folders whose code goes into function bundles (handlers and everything they import, the authorizer). */
export const LAMBDA_SOURCE_DIRS = [join(REPO_ROOT, 'functions'), INFRA_FUNCTIONS_DIR] as const;

/**
 * Where Lambda mounts the layer's `nodejs/sdk` folder: a layer's content is extracted under /opt.
 * Imports name this absolute path, not the package: ES modules do not resolve bare specifiers
 * through NODE_PATH (Node.js, "Modules: ECMAScript modules", Differences between ES modules and
 * CommonJS, "No NODE_PATH": https://nodejs.org/api/esm.html#no-node_path), and Lambda finds a
 * layer's ES module dependencies only as packages under `nodejs/node_modules` (AWS re:Post
 * knowledge center, "lambda-import-module-error-nodejs":
 * https://repost.aws/knowledge-center/lambda-import-module-error-nodejs), which these pre-bundled
 * files are not.
 */
export const LAYER_MOUNT_DIR = '/opt/nodejs/sdk';

/** The layer's folder inside its asset (Lambda mounts the asset at /opt). */
export const LAYER_ASSET_SUBDIR = join('nodejs', 'sdk');

/** The file of the layer that stands for an SDK module: `@aws-sdk/client-kms` → `client-kms.mjs`. */
export function layerFile(module: string): string {
  const match = SDK_MODULE.exec(module);
  if (!match) throw new Error(`${module} is not an SDK module`);
  return `${match[1] === 'smithy' ? 'smithy-' : ''}${match[2]}.mjs`;
}

/** SDK module → the value names the application imports from it, sorted. */
export type SdkImports = ReadonlyMap<string, readonly string[]>;

function* typeScriptFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* typeScriptFiles(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield path;
  }
}

/**
 * Every value the code under `dirs` imports (or re-exports) from an SDK module, by module. Type-only
 * imports are left out (`verbatimModuleSyntax` marks them). Default, namespace, side-effect-only and
 * dynamic imports of an SDK module are refused: the layer exports named values only, and a name it
 * does not export fails the function at init.
 */
export function scanSdkImports(dirs: readonly string[] = LAMBDA_SOURCE_DIRS): SdkImports {
  const found = new Map<string, Set<string>>();
  const add = (module: string, name: string) => {
    const names = found.get(module) ?? new Set<string>();
    names.add(name);
    found.set(module, names);
  };
  for (const dir of dirs) {
    for (const file of typeScriptFiles(dir)) {
      const text = readFileSync(file, 'utf8');
      if (!/@(aws-sdk|smithy)\//.test(text)) continue;
      const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
      const refuse = (node: ts.Node, what: string): never => {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart());
        throw new Error(
          `${relative(REPO_ROOT, file)}:${line + 1}: ${what} of an SDK module; import its values by name (infra/sdk-layer.ts)`,
        );
      };
      const sdkModule = (specifier: ts.Expression | undefined): string | undefined =>
        specifier && ts.isStringLiteral(specifier) && SDK_MODULE.test(specifier.text) ? specifier.text : undefined;
      const visit = (node: ts.Node): void => {
        if (ts.isImportDeclaration(node)) {
          const module = sdkModule(node.moduleSpecifier);
          const clause = node.importClause;
          if (module && !clause) refuse(node, 'a side-effect import');
          if (module && clause && !clause.isTypeOnly) {
            if (clause.name) refuse(node, 'a default import');
            const bindings = clause.namedBindings;
            if (bindings && ts.isNamespaceImport(bindings)) refuse(node, 'a namespace import');
            if (bindings && ts.isNamedImports(bindings))
              for (const el of bindings.elements) if (!el.isTypeOnly) add(module, (el.propertyName ?? el.name).text);
          }
          return;
        }
        if (ts.isExportDeclaration(node)) {
          const module = sdkModule(node.moduleSpecifier);
          if (module && !node.isTypeOnly) {
            const clause = node.exportClause;
            if (!clause || !ts.isNamedExports(clause)) refuse(node, 'an `export *`');
            else for (const el of clause.elements) if (!el.isTypeOnly) add(module, (el.propertyName ?? el.name).text);
          }
          return;
        }
        if (ts.isCallExpression(node)) {
          const dynamic =
            node.expression.kind === ts.SyntaxKind.ImportKeyword ||
            (ts.isIdentifier(node.expression) && node.expression.text === 'require');
          if (dynamic && sdkModule(node.arguments[0])) refuse(node, 'a dynamic import or require');
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
  }
  return new Map([...found].sort(([a], [b]) => a.localeCompare(b)).map(([m, names]) => [m, [...names].sort()]));
}

/** One entry of the layer: exactly the names the application imports from `module`. */
export const layerEntrySource = (module: string, names: readonly string[]): string =>
  `export { ${names.join(', ')} } from '${module}';\n`;

/** How the layer is built, in esbuild's terms; `banner` and `alias` are the function bundles' own (service-function.ts). */
export interface LayerEsbuild {
  target: string;
  mainFields: string[];
  banner: string;
  alias: Record<string, string>;
}

export interface BuiltLayer {
  /** The asset folder (its `nodejs/sdk` is mounted at LAYER_MOUNT_DIR). */
  dir: string;
  /** Every file written under `nodejs/sdk`, relative to it, with its size: entries and chunks. */
  files: { path: string; bytes: number }[];
  metafile: Metafile;
  /** package-lock.json path (`node_modules/...`) → version, for every package with code in the layer. */
  versions: Record<string, string>;
}

/** The lock-file path of the package a bundled input comes from, e.g. `node_modules/@smithy/core`. */
export function packageOf(input: string): string | undefined {
  return /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1];
}

/**
 * Builds the layer into `dir` (an asset folder): `nodejs/sdk/<module>.mjs` per SDK module of
 * `imports`, their shared chunks under `nodejs/sdk/chunks/`, and `nodejs/sdk/versions.json`, the
 * installed version of every package the layer holds code from (test/infra compares it with
 * package-lock.json). Synchronous: CDK's local bundling calls it.
 */
export function buildSdkLayer(dir: string, imports: SdkImports, options: LayerEsbuild): BuiltLayer {
  const entriesDir = mkdtempSync(join(tmpdir(), 'pd-sdk-layer-entries-'));
  try {
    const entryPoints = [...imports].map(([module, names]) => {
      const file = join(entriesDir, layerFile(module).replace(/\.mjs$/, '.js'));
      writeFileSync(file, layerEntrySource(module, names));
      return file;
    });
    const outdir = join(dir, LAYER_ASSET_SUBDIR);
    mkdirSync(outdir, { recursive: true });
    const result = buildSync({
      entryPoints,
      // The entries live outside the project: resolve the SDK from its installed node_modules.
      nodePaths: [join(REPO_ROOT, 'node_modules')],
      absWorkingDir: REPO_ROOT,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: options.target,
      mainFields: options.mainFields,
      minify: true,
      // No source maps: with NODE_OPTIONS=--enable-source-maps Node reads a module's map as it
      // loads it, and the SDK's own frames in a stack trace are not worth that at every cold start.
      sourcemap: false,
      banner: { js: options.banner },
      alias: options.alias,
      outdir,
      outExtension: { '.js': '.mjs' },
      chunkNames: 'chunks/[name]-[hash]',
      metafile: true,
      logLevel: 'error',
    });
    const versions: Record<string, string> = {};
    for (const input of Object.keys(result.metafile.inputs)) {
      const pkg = packageOf(input);
      if (pkg && !(pkg in versions))
        versions[pkg] = (
          JSON.parse(readFileSync(join(REPO_ROOT, pkg, 'package.json'), 'utf8')) as { version: string }
        ).version;
    }
    const sorted = Object.fromEntries(Object.entries(versions).sort(([a], [b]) => a.localeCompare(b)));
    writeFileSync(join(outdir, 'versions.json'), `${JSON.stringify(sorted, null, 2)}\n`);
    const files = Object.entries(result.metafile.outputs).map(([path, { bytes }]) => ({
      path: relative(outdir, join(REPO_ROOT, path)),
      bytes,
    }));
    return { dir, files, metafile: result.metafile, versions: sorted };
  } finally {
    rmSync(entriesDir, { recursive: true, force: true });
  }
}

/**
 * esbuild settings that make a function bundle import the SDK from the layer mounted at `mount`:
 * each module the layer carries aliased to its file there, and that folder left external.
 */
export function layerImports(
  imports: SdkImports,
  mount: string = LAYER_MOUNT_DIR,
): { alias: Record<string, string>; external: string[] } {
  return {
    alias: Object.fromEntries([...imports.keys()].map((module) => [module, `${mount}/${layerFile(module)}`])),
    external: [`${mount}/*`],
  };
}
