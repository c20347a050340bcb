/**
 * Which parts of what `buildDeps` makes a function's code can reach (issue 15, README "Bundle size
 * and cold start"): the stores, and the records table connector's heavy operations (erasure,
 * retention, purge). The stores all live in tables every function is granted, so FUNCTION_ACCESS
 * cannot say; the code can. From a handler, the value imports are followed through `functions/`
 * (type-only imports are erased, so they lead nowhere); `functions/lib/deps.ts`, the composition
 * root that imports every store, is where the walk stops. A part counts as reached when any file
 * on the way names it as a property: `deps.tokens`, `deps?.tokens`, `deps['tokens']`,
 * `{ tokens } = deps`, `connector.erase(…)`. That over-approximates (a file's unused paths count
 * too), which only keeps a part; missing a use would withhold it, and the function would fail the
 * first time it ran that path, saying which part it was built without (WithheldPortError). The
 * source has no other way to reach one (no computed key), and test/infra/store-usage.test.ts holds
 * the fixtures for each way of naming one and the table of which function is built with what.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from './paths.ts';

/**
 * What a bundle can leave out, each behind its own `PD_BUNDLE_USES_*` flag (`partDefines`): the
 * stores `buildDeps` makes, by their name in `Deps` (functions/lib/deps.ts), then the records table
 * connector's operations whose code is large and which only some functions call, by their name in
 * `SystemConnector` (functions/connectors/records-table/connector.ts).
 */
export const OPTIONAL_PARTS = [
  'tokens',
  'orders',
  'sentEmails',
  'systemResults',
  'holds',
  'records',
  'people',
  'connector',
  'audit',
  'erase',
  'checkBlockers',
  'planDeletion',
  'anonymiseBefore',
  'expiredPatrons',
  'purgeRead',
  'purgeErase',
] as const;
export type OptionalPart = (typeof OPTIONAL_PARTS)[number];

/** What `buildDeps` builds a part from: a function that names the first gets the others too. */
export const BUILT_FROM: Readonly<Partial<Record<OptionalPart, readonly OptionalPart[]>>> = {
  people: ['records', 'connector'],
  // The records table's connector checks the legal holds before it changes anything (R13).
  connector: ['holds'],
};

/** `sentEmails` → `PD_BUNDLE_USES_SENT_EMAILS`. */
export const partFlag = (part: OptionalPart): string =>
  `PD_BUNDLE_USES_${part.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

/** The composition root: it builds every store, so the walk does not go through it. */
export const COMPOSITION_ROOT = join(REPO_ROOT, 'functions', 'lib', 'deps.ts');

const PART_NAMES: ReadonlySet<string> = new Set(OPTIONAL_PARTS);

interface ModuleFacts {
  /** Files this one imports or re-exports values from, resolved. */
  imports: string[];
  /** The optional parts it names as properties. */
  parts: Set<OptionalPart>;
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
  const found: ModuleFacts = { imports: [], parts: new Set() };
  const name = (text: string) => {
    if (PART_NAMES.has(text)) found.parts.add(text as OptionalPart);
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
 * The optional parts the code reachable from `entry` names, with those they are built from
 * (BUILT_FROM), in OPTIONAL_PARTS order. `root`, where the walk stops, is for the tests' fixtures.
 */
export function partsReached(entry: string, root: string = COMPOSITION_ROOT): OptionalPart[] {
  const seen = new Set<string>();
  const reached = new Set<OptionalPart>();
  const walk = (file: string) => {
    if (seen.has(file) || file === root) return;
    seen.add(file);
    const f = read(file);
    f.parts.forEach((s) => reached.add(s));
    f.imports.forEach(walk);
  };
  walk(resolve(entry));
  const close = (part: OptionalPart): void => {
    reached.add(part);
    BUILT_FROM[part]?.forEach(close);
  };
  [...reached].forEach(close);
  return OPTIONAL_PARTS.filter((s) => reached.has(s));
}

/** esbuild `define`s for the function whose handler is `entry`: each optional part built or left out. */
export function partDefines(entry: string): Record<string, string> {
  const reached = new Set(partsReached(entry));
  return Object.fromEntries(
    OPTIONAL_PARTS.map((s) => [`process.env.${partFlag(s)}`, JSON.stringify(String(reached.has(s)))]),
  );
}
