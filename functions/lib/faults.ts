import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { SESv2ServiceException } from '@aws-sdk/client-sesv2';
import type { FinalizeRequestMiddleware, MetadataBearer, Pluggable } from '@smithy/types';
import { classifyAwsError } from '../adapters/aws-errors.ts';
import type { FileStore } from '../adapters/s3/files.ts';
import type { FetchLike } from '../connectors/koha/http.ts';

/**
 * Fault injection for the chaos run (ARCHITECTURE.md, Faults): a seeded, reproducible share of the
 * calls to DynamoDB, SES, S3 and each connector fails the way those services fail. Only a
 * composition root turns it on (the local runtime's `faults` option); nothing in a handler knows.
 *
 * The SDK clients get it as middleware just inside the SDK's own retries, so what comes back from
 * the wire is exactly what the SDK would have parsed, its retry strategy decides whether to try
 * again, and our classification (`transientErrors`) sees whatever outlasts those retries.
 */
export type FaultKind = 'throttle' | 'server-error' | 'timeout' | 'reset-after-write';
export const FAULT_KINDS: readonly FaultKind[] = ['throttle', 'server-error', 'timeout', 'reset-after-write'];

/** Where a fault can be injected: the AWS services, and each connector by its system id. */
export type FaultTarget = 'DynamoDB' | 'SES' | 'S3' | `connector:${string}`;

export interface FaultOptions {
  seed: number;
  /** The share of calls (0..1) that fail at least once. */
  rate: number;
  /**
   * Of the calls that fail, the share whose fault outlasts every try the SDK (or the connector)
   * makes, so the workflow's own Retry and failure path are exercised too. Default 0.1.
   */
  persistent?: number;
  /** The kinds dealt, equally often (default: every kind). */
  kinds?: readonly FaultKind[];
}

/** mulberry32: a small, well-known seeded generator; the same seed gives the same sequence of draws. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What one call was dealt: the fault, and how many of its tries it spoils. */
interface Dealt {
  kind: FaultKind;
  tries: number;
}

const STATUS: Record<'throttle' | 'server-error', Record<'DynamoDB' | 'SES' | 'S3', number>> = {
  throttle: { DynamoDB: 400, SES: 429, S3: 503 },
  'server-error': { DynamoDB: 500, SES: 500, S3: 500 },
};

/** The error a service answers with, built by the SDK's own exception classes as its parser builds it. */
function serviceError(target: 'DynamoDB' | 'SES' | 'S3', kind: 'throttle' | 'server-error'): Error {
  const $metadata = { httpStatusCode: STATUS[kind][target], requestId: 'fault-injected', attempts: 1 };
  const message = kind === 'throttle' ? 'Rate exceeded' : 'We encountered an internal error. Please try again.';
  const Base = { DynamoDB: DynamoDBServiceException, SES: SESv2ServiceException, S3: S3ServiceException }[target];
  const names = {
    DynamoDB: { throttle: 'ProvisionedThroughputExceededException', 'server-error': 'InternalServerError' },
    SES: { throttle: 'TooManyRequestsException', 'server-error': 'InternalFailure' },
    S3: { throttle: 'SlowDown', 'server-error': 'InternalError' },
  }[target];
  const err = new Base({ name: names[kind], $fault: kind === 'throttle' ? 'client' : 'server', $metadata, message });
  // The SDK marks a throttling answer so its retry strategy backs off longer.
  if (kind === 'throttle') Object.assign(err, { $retryable: { throttling: true } });
  return err;
}

/** A dropped connection as Node's socket reports it, and the SDK's request timeout as it names it. */
function networkError(kind: 'timeout' | 'reset-after-write'): Error {
  if (kind === 'timeout') {
    const e = new Error('Connection timed out after 5000 ms');
    e.name = 'TimeoutError';
    return e;
  }
  return Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104, syscall: 'read' });
}

const CONTEXT_KEY = 'privacyDeskFault';

export class FaultInjector {
  private readonly draw: () => number;
  private readonly persistent: number;
  /** Injected faults by target and kind: each spoiled try counts once. */
  readonly injected = new Map<string, number>();

  constructor(readonly options: FaultOptions) {
    if (!(options.rate >= 0 && options.rate <= 1)) throw new RangeError('fault rate must be between 0 and 1');
    this.draw = seeded(options.seed);
    this.persistent = options.persistent ?? 0.1;
  }

  /** The total of faults injected so far. */
  get total(): number {
    let n = 0;
    for (const v of this.injected.values()) n += v;
    return n;
  }

  /** Deals one call its fault, or none. */
  private deal(): Dealt | undefined {
    if (this.draw() >= this.options.rate) return undefined;
    const kinds = this.options.kinds ?? FAULT_KINDS;
    const kind = kinds[Math.floor(this.draw() * kinds.length)] as FaultKind;
    return { kind, tries: this.draw() < this.persistent ? Number.POSITIVE_INFINITY : 1 };
  }

  private count(target: FaultTarget, kind: FaultKind): void {
    const key = `${target} ${kind}`;
    this.injected.set(key, (this.injected.get(key) ?? 0) + 1);
  }

  /**
   * Middleware for an SDK v3 client: one step deals each call its fault (inside `transientErrors`,
   * so our classification sees what escapes), and one just inside the SDK's retry spoils each try.
   * `reset-after-write` and `timeout` let the request reach the service first: it is applied, and
   * the caller sees a network error.
   */
  sdkPlugin<Input extends object, Output extends MetadataBearer>(
    target: 'DynamoDB' | 'SES' | 'S3',
  ): Pluggable<Input, Output> {
    return {
      applyToStack: (stack) => {
        stack.add(
          (next, context) => async (args) => {
            // Set on every call, so that a call made again through this stack is dealt afresh.
            (context as Record<string, unknown>)[CONTEXT_KEY] = this.deal();
            return next(args);
          },
          { step: 'initialize', priority: 'low', name: 'privacyDeskFaultDeal', override: true },
        );
        const spoil: FinalizeRequestMiddleware<Input, Output> = (next, context) => async (args) => {
          const dealt = (context as Record<string, unknown>)[CONTEXT_KEY] as Dealt | undefined;
          if (!dealt || dealt.tries <= 0) return next(args);
          dealt.tries--;
          this.count(target, dealt.kind);
          if (dealt.kind === 'throttle' || dealt.kind === 'server-error') throw serviceError(target, dealt.kind);
          await next(args);
          throw networkError(dealt.kind);
        };
        stack.addRelativeTo(spoil, {
          relation: 'after',
          toMiddleware: 'retryMiddleware',
          name: 'privacyDeskFaultTry',
          override: true,
        });
      },
    };
  }

  /**
   * The local S3 stand-in has no SDK client: its calls fail with S3's errors as the S3 client's
   * `transientErrors` middleware would hand them on (after the SDK's retries gave up).
   */
  fileStore(inner: FileStore): FileStore {
    const guard = async <T>(call: () => Promise<T>): Promise<T> => {
      const dealt = this.deal();
      if (!dealt) return call();
      this.count('S3', dealt.kind);
      if (dealt.kind === 'throttle' || dealt.kind === 'server-error')
        throw classifyAwsError(serviceError('S3', dealt.kind), 'S3');
      await call();
      throw classifyAwsError(networkError(dealt.kind), 'S3');
    };
    return {
      put: (key, body, contentType) => guard(() => inner.put(key, body, contentType)),
      putStream: (key, body, contentType) => guard(() => inner.putStream(key, body, contentType)),
      exists: (key) => guard(() => inner.exists(key)),
      download: (key, fileName, contentType) => guard(() => inner.download(key, fileName, contentType)),
      delete: (key) => guard(() => inner.delete(key)),
    };
  }

  /**
   * A connector's HTTP transport (Koha): `429` with `Retry-After`, a `503`, a timeout (the abort
   * `fetch` raises), or a reset after the server applied the call. The connector classifies them.
   */
  fetch(inner: FetchLike, system: string): FetchLike {
    const target: FaultTarget = `connector:${system}`;
    return async (input, init) => {
      const dealt = this.deal();
      if (!dealt) return inner(input, init);
      this.count(target, dealt.kind);
      switch (dealt.kind) {
        case 'throttle':
          return new Response(JSON.stringify({ error: 'Too many requests' }), {
            status: 429,
            headers: { 'content-type': 'application/json', 'retry-after': '0' },
          });
        case 'server-error':
          return new Response(JSON.stringify({ error: 'Service unavailable' }), {
            status: 503,
            headers: { 'content-type': 'application/json' },
          });
        case 'timeout': {
          const res = await inner(input, init);
          await res.body?.cancel();
          throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
        }
        case 'reset-after-write': {
          const res = await inner(input, init);
          await res.body?.cancel();
          throw new TypeError('fetch failed', { cause: networkError('reset-after-write') });
        }
      }
    };
  }
}
