/**
 * Checks requests and answers against Koha's spec (R19: neither the connector nor the simulator may
 * drift from Koha's API). Swagger 2.0 schemas are JSON Schema (draft 4) with extras: `x-` keys and
 * `discriminator`/`example` are dropped, `type: [..., "null"]` is plain JSON Schema, and a
 * `readOnly` property is refused in a request body (OpenAPI: it is not to be sent).
 */
import { Ajv, type ValidateFunction } from 'ajv';
import formats from 'ajv-formats';
import type { Json, JsonObject, KohaSpec, SpecOperation, SpecParameter } from './spec.ts';

export interface IncomingCall {
  pathParams: Record<string, string>;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  contentType: string;
  rawBody: string;
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A Swagger schema as ajv reads it; `forRequest` drops read-only properties so sending one fails. */
function jsonSchema(node: Json, forRequest: boolean): Json {
  if (Array.isArray(node)) return node.map((n) => jsonSchema(n, forRequest));
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('x-') || key === 'discriminator' || key === 'example') continue;
    if (key === 'properties' && isObject(value)) {
      out.properties = Object.fromEntries(
        Object.entries(value)
          .filter(([, p]) => !(forRequest && isObject(p) && p.readOnly === true))
          .map(([name, p]) => [name, jsonSchema(p, forRequest)]),
      );
      continue;
    }
    out[key] = jsonSchema(value, forRequest);
  }
  return out;
}

/** The JSON Schema part of a non-body parameter (`type`, `items`, `enum`, limits). */
function parameterSchema(p: SpecParameter): JsonObject {
  const { name: _n, in: _in, required: _r, description: _d, collectionFormat: _c, ...schema } = p;
  return jsonSchema(schema as JsonObject, true) as JsonObject;
}

/** Query, header and form values arrive as text: read them as the parameter's type says. */
function coerce(raw: string, type: Json | undefined): Json {
  if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  if (type === 'boolean' && ['true', '1'].includes(raw)) return true;
  if (type === 'boolean' && ['false', '0'].includes(raw)) return false;
  return raw;
}

function parameterValue(p: SpecParameter, raws: string[]): Json {
  if (p.type !== 'array') return coerce(raws[0] ?? '', p.type);
  const itemType = p.items?.type;
  const values =
    p.collectionFormat === 'multi' ? raws : (raws[0] ?? '').split(p.collectionFormat === 'pipes' ? '|' : ',');
  return values.map((v) => coerce(v.trim(), itemType));
}

export class SpecValidator {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly errorValidator: ValidateFunction;

  constructor(readonly spec: KohaSpec) {
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    formats.default(this.ajv);
    this.errorValidator = this.ajv.compile(jsonSchema(spec.errorSchema, false) as JsonObject);
  }

  /** The operation a method and path (below basePath) call, with its path parameters. */
  match(method: string, path: string): { op: SpecOperation; pathParams: Record<string, string> } | undefined {
    for (const op of this.spec.operations) {
      if (op.method !== method) continue;
      const m = op.pattern.exec(path);
      if (!m) continue;
      const pathParams = Object.fromEntries(op.pathParams.map((name, i) => [name, decodeURIComponent(m[i + 1] ?? '')]));
      return { op, pathParams };
    }
    return undefined;
  }

  /** Every way `call` departs from what the operation accepts; empty when it conforms. */
  checkRequest(op: SpecOperation, call: IncomingCall): string[] {
    const problems: string[] = [];
    const declared = (where: SpecParameter['in']) => op.parameters.filter((p) => p.in === where);
    const check = (p: SpecParameter, raws: string[] | undefined, where: string) => {
      if (!raws || raws.length === 0) {
        if (p.required) problems.push(`${where} parameter ${p.name} is required`);
        return;
      }
      if (p.type !== 'array' && raws.length > 1) problems.push(`${where} parameter ${p.name} is given more than once`);
      problems.push(
        ...this.run(
          `param:${op.operationId}:${where}:${p.name}`,
          parameterSchema(p),
          parameterValue(p, raws),
          `${where} ${p.name}`,
        ),
      );
    };

    for (const p of declared('path'))
      check(p, call.pathParams[p.name] === undefined ? undefined : [call.pathParams[p.name] ?? ''], 'path');

    // A query parameter Koha does not know is silently ignored by Koha: a filter the connector
    // thinks it applies (say, a misspelt `cardnumber`) would match every patron. So it is refused here.
    const queryNames = new Set(declared('query').map((p) => p.name));
    for (const name of new Set(call.query.keys()))
      if (!queryNames.has(name)) problems.push(`query parameter ${name} is not in the spec`);
    for (const p of declared('query')) check(p, call.query.getAll(p.name), 'query');

    for (const p of declared('header')) {
      const raw = call.headers[p.name.toLowerCase()];
      check(p, raw === undefined ? undefined : Array.isArray(raw) ? raw : [raw], 'header');
    }

    const form = declared('formData');
    const body = declared('body')[0];
    if (form.length > 0) {
      if (!call.contentType.startsWith('application/x-www-form-urlencoded'))
        problems.push('form parameters need content-type application/x-www-form-urlencoded');
      const fields = new URLSearchParams(call.rawBody);
      const names = new Set(form.map((p) => p.name));
      for (const name of new Set(fields.keys()))
        if (!names.has(name)) problems.push(`form field ${name} is not in the spec`);
      for (const p of form) check(p, fields.getAll(p.name), 'form');
    } else if (call.rawBody.length > 0) {
      if (!body) problems.push(`${op.operationId} takes no body`);
      else if (!call.contentType.startsWith('application/json'))
        problems.push('a JSON body needs content-type application/json');
      else {
        let parsed: Json;
        try {
          parsed = JSON.parse(call.rawBody) as Json;
        } catch {
          return [...problems, 'the body is not JSON'];
        }
        problems.push(
          ...this.run(`body:${op.operationId}`, jsonSchema(body.schema ?? {}, true) as JsonObject, parsed, 'body'),
        );
      }
    } else if (body?.required) problems.push('a body is required');
    return problems;
  }

  /** Every way an answer departs from what the operation documents for `status`. */
  checkResponse(op: SpecOperation, status: number, body: Json | undefined): string[] {
    const documented = op.responses[String(status)] ?? op.responses.default;
    if (!documented) return [`${op.operationId} does not document status ${status}`];
    if (!documented.schema) return body === undefined ? [] : [`${op.operationId} ${status} has no body in the spec`];
    if (body === undefined) return [`${op.operationId} ${status} needs a body`];
    return this.run(
      `response:${op.operationId}:${status}`,
      jsonSchema(documented.schema, false) as JsonObject,
      body,
      'response',
    );
  }

  /** An answer given before the operation runs (authentication, throttling): Koha's error shape. */
  checkError(body: Json | undefined): string[] {
    if (body === undefined || this.errorValidator(body)) return body === undefined ? ['an error needs a body'] : [];
    return (this.errorValidator.errors ?? []).map((e) => `error ${e.instancePath || '(root)'} ${e.message ?? ''}`);
  }

  private run(key: string, schema: JsonObject, value: Json, label: string): string[] {
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.compiled.set(key, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map((e) => {
      const extra = e.keyword === 'additionalProperties' ? ` (${String(e.params.additionalProperty)})` : '';
      return `${label}${e.instancePath} ${e.message ?? 'is invalid'}${extra}`;
    });
  }
}
