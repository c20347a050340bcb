/**
 * Loads Koha's Swagger 2.0 spec (`../shared/koha-api/`, or `KOHA_API_SPEC_DIR`) and resolves its
 * relative `$ref`s, so the validator sees each operation with plain, self-contained schemas.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface SpecParameter {
  name: string;
  in: 'query' | 'path' | 'header' | 'body' | 'formData';
  required?: boolean;
  type?: string;
  collectionFormat?: string;
  items?: JsonObject;
  schema?: JsonObject;
  [key: string]: Json | undefined;
}

export interface SpecOperation {
  operationId: string;
  method: string;
  /** The path template below `basePath`, e.g. `/patrons/{patron_id}`. */
  path: string;
  pattern: RegExp;
  pathParams: string[];
  parameters: SpecParameter[];
  consumes: string[];
  responses: Record<string, { schema?: JsonObject }>;
}

export interface KohaSpec {
  dir: string;
  basePath: string;
  operations: SpecOperation[];
  /** `definitions/error.yaml`: what every error answer, documented or not, must look like. */
  errorSchema: JsonObject;
}

/**
 * Whether Koha's spec is beside the repository (CI lays `shared/` there). Without it the tests that
 * need the simulator are skipped and say so, as the browser tests do without Chromium; the spec is
 * Koha's (GPL), kept beside the project rather than copied into it.
 */
export function kohaSpecAvailable(env: NodeJS.ProcessEnv = process.env): boolean {
  try {
    kohaSpecDir(env);
    return true;
  } catch (e) {
    console.warn(`test/connectors: Koha simulator tests SKIPPED. ${e instanceof Error ? e.message : String(e)}`);
    return false;
  }
}

/** `<repo root>/../shared/koha-api` (CI checks the repo out beside `shared/`), unless KOHA_API_SPEC_DIR says otherwise. */
export function kohaSpecDir(env: NodeJS.ProcessEnv = process.env): string {
  const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
  const dir = env.KOHA_API_SPEC_DIR ?? resolve(repoRoot, '..', 'shared', 'koha-api');
  if (!existsSync(join(dir, 'swagger.yaml')))
    throw new Error(
      `The Koha API spec was not found: ${join(dir, 'swagger.yaml')} does not exist. ` +
        'Check out the shared folder beside the repository, or set KOHA_API_SPEC_DIR to the folder holding swagger.yaml.',
    );
  return dir;
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Resolves `$ref: "<relative file>#<JSON pointer>"` across the spec's files, inlining each target. */
class RefResolver {
  private readonly files = new Map<string, Json>();
  private readonly resolved = new Map<string, Json>();

  private load(file: string): Json {
    let doc = this.files.get(file);
    if (doc === undefined) {
      if (!existsSync(file)) throw new Error(`Koha spec: $ref to a missing file ${file}`);
      doc = parse(readFileSync(file, 'utf8')) as Json;
      this.files.set(file, doc);
    }
    return doc;
  }

  private pointer(doc: Json, pointer: string, where: string): Json {
    let node: Json = doc;
    for (const raw of pointer.split('/').slice(1)) {
      const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      const next: Json | undefined = isObject(node) ? node[key] : Array.isArray(node) ? node[Number(key)] : undefined;
      if (next === undefined) throw new Error(`Koha spec: unresolved $ref ${where}`);
      node = next;
    }
    return node;
  }

  /** The document at `file#pointer` with every `$ref` inside it inlined. */
  at(file: string, pointer = '', stack: string[] = []): Json {
    const key = `${file}#${pointer}`;
    const done = this.resolved.get(key);
    if (done !== undefined) return done;
    if (stack.includes(key)) throw new Error(`Koha spec: circular $ref ${key}`);
    const out = this.inline(this.pointer(this.load(file), pointer, key), file, [...stack, key]);
    this.resolved.set(key, out);
    return out;
  }

  private inline(node: Json, file: string, stack: string[]): Json {
    if (Array.isArray(node)) return node.map((n) => this.inline(n, file, stack));
    if (!isObject(node)) return node;
    const ref = node.$ref;
    if (typeof ref === 'string') {
      // Swagger 2.0: siblings of a $ref are ignored.
      const [target = '', pointer = ''] = ref.split('#');
      return this.at(target ? resolve(dirname(file), target) : file, pointer, stack);
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, this.inline(v, file, stack)]));
  }
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

export function loadKohaSpec(dir: string = kohaSpecDir()): KohaSpec {
  const resolver = new RefResolver();
  const root = join(dir, 'swagger.yaml');
  const swagger = resolver.at(root);
  if (!isObject(swagger) || swagger.swagger !== '2.0' || !isObject(swagger.paths))
    throw new Error(`Koha spec: ${root} is not a Swagger 2.0 document`);
  const operations: SpecOperation[] = [];
  for (const [path, item] of Object.entries(swagger.paths)) {
    if (!isObject(item)) continue;
    const shared = Array.isArray(item.parameters) ? item.parameters : [];
    for (const method of METHODS) {
      const op = item[method];
      if (!isObject(op) || typeof op.operationId !== 'string') continue;
      const parameters = [
        ...shared,
        ...(Array.isArray(op.parameters) ? op.parameters : []),
      ] as unknown as SpecParameter[];
      const pathParams = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? '');
      const pattern = new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '([^/]+)')}$`);
      operations.push({
        operationId: op.operationId,
        method: method.toUpperCase(),
        path,
        pattern,
        pathParams,
        parameters,
        consumes: Array.isArray(op.consumes) ? op.consumes.map(String) : ['application/json'],
        responses: (isObject(op.responses) ? op.responses : {}) as SpecOperation['responses'],
      });
    }
  }
  const definitions = isObject(swagger.definitions) ? swagger.definitions : {};
  const errorSchema = definitions.error;
  if (!isObject(errorSchema)) throw new Error('Koha spec: definitions/error is missing');
  return { dir, basePath: typeof swagger.basePath === 'string' ? swagger.basePath : '', operations, errorSchema };
}
