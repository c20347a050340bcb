/**
 * Which of the stores `buildDeps` makes a function's code can reach (issue 15, README "Bundle size
 * and cold start"). All of them live in tables every function is granted, so FUNCTION_ACCESS cannot
 * say; the code can. From a handler, the value imports are followed through `functions/` (type-only
 * imports are erased, so they lead nowhere); `functions/lib/deps.ts`, the composition root that
 * imports every store, is where the walk stops. A store counts as reached when any file on the way
 * names it as a property: `deps.tokens`, `deps?.tokens`, `deps['tokens']` or `{ tokens } = deps`.
 * That over-approximates (a file's unused paths count too), which only keeps a store; missing a use
 * would withhold it, and the function would fail the first time it ran that path, saying which
 * store it was built without. The source has no other way to reach a store (no computed key), and
 * test/infra/store-usage.test.ts holds the fixtures for each way of naming one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from './paths.ts';

/**
 * The stores `buildDeps` can leave out (functions/lib/deps.ts), by their name in `Deps`; each is
 * behind its own `PD_BUNDLE_USES_*` flag (`storeDefines`).
 */
export const OPTIONAL_STORES = [
  'tokens',
  'orders',
  'sentEmails',
  'systemResults',
  'holds',
  'records',
  'people',
  'connector',
  'audit',
] as const;
export type OptionalStore = (typeof OPTIONAL_STORES)[number];

/** What `buildDeps` builds a store from: a function that names the first gets the others too. */
export const BUILT_FROM: Readonly<Partial<Record<OptionalStore, readonly OptionalStore[]>>> = {
  people: ['records', 'connector'],
  // The records table's connector checks the legal holds before it changes anything (R13).
  connector: ['holds'],
};

/** `sentEmails` → `PD_BUNDLE_USES_SENT_EMAILS`. */
export const storeFlag = (store: OptionalStore): string =>
  `PD_BUNDLE_USES_${store.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

/** The composition root: it builds every store, so the walk does not go through it. */
export const COMPOSITION_ROOT = join(REPO_ROOT, 'functions', 'lib', 'deps.ts');

const STORE_NAMES: ReadonlySet<string> = new Set(OPTIONAL_STORES);

interface ModuleFacts {
  /** Files this one imports or re-exports values from, resolved. */
  imports: string[];
  /** Store names it uses as property names. */
  stores: Set<OptionalStore>;
}

const facts = new Map<string, ModuleFacts>();

/** A relative specifier of the source (`./x.ts`), resolved; packages and node builtins are not followed. */
function resolveLocal(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const path = resolve(dirname(from), specifier);
  return existsSync(path) ? path : undefined;
}

/** Whether an import declaration brings in any value (a type-only clause or all type-only names bring none). */
function importsValue(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (!clause) return true;
  if (clause.isTypeOnly) return false;
  if (clause.name) return true;
  const bindings = clause.namedBindings;
  if (!bindings || ts.isNamespaceImport(bindings)) return true;
  return bindings.elements.length === 0 || bindings.elements.some((el) => !el.isTypeOnly);
}

function read(file: string): ModuleFacts {
  const known = facts.get(file);
  if (known) return known;
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: ModuleFacts = { imports: [], stores: new Set() };
  const name = (text: string) => {
    if (STORE_NAMES.has(text)) found.stores.add(text as OptionalStore);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      const spec = node.moduleSpecifier;
      const valued = ts.isImportDeclaration(node) ? importsValue(node) : !node.isTypeOnly;
      if (spec && ts.isStringLiteral(spec) && valued) {
        const target = resolveLocal(file, spec.text);
        if (target) found.imports.push(target);
      }
      return;
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [spec] = node.arguments;
      const target = spec && ts.isStringLiteral(spec) ? resolveLocal(file, spec.text) : undefined;
      if (target) found.imports.push(target);
    }
    if (ts.isPropertyAccessExpression(node)) name(node.name.text);
    if (ts.isElementAccessExpression(node) && ts.isStringLiteralLike(node.argumentExpression))
      name(node.argumentExpression.text);
    if (ts.isBindingElement(node) && ts.isObjectBindingPattern(node.parent)) {
      const key = node.propertyName ?? node.name;
      if (ts.isIdentifier(key) || ts.isStringLiteralLike(key)) name(key.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  facts.set(file, found);
  return found;
}

/**
 * The optional stores the code reachable from `entry` names, with those they are built from
 * (BUILT_FROM), in OPTIONAL_STORES order. `root`, where the walk stops, is for the tests' fixtures.
 */
export function storesReached(entry: string, root: string = COMPOSITION_ROOT): OptionalStore[] {
  const seen = new Set<string>();
  const reached = new Set<OptionalStore>();
  const walk = (file: string) => {
    if (seen.has(file) || file === root) return;
    seen.add(file);
    const f = read(file);
    f.stores.forEach((s) => reached.add(s));
    f.imports.forEach(walk);
  };
  walk(resolve(entry));
  const close = (store: OptionalStore): void => {
    reached.add(store);
    BUILT_FROM[store]?.forEach(close);
  };
  [...reached].forEach(close);
  return OPTIONAL_STORES.filter((s) => reached.has(s));
}

/** esbuild `define`s for the function whose handler is `entry`: each optional store built or not. */
export function storeDefines(entry: string): Record<string, string> {
  const reached = new Set(storesReached(entry));
  return Object.fromEntries(
    OPTIONAL_STORES.map((s) => [`process.env.${storeFlag(s)}`, JSON.stringify(String(reached.has(s)))]),
  );
}
