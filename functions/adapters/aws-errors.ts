import type { MetadataBearer, Pluggable } from '@smithy/types';
import { TransientError } from '../domain/errors.ts';

/**
 * ARCHITECTURE.md (Faults): an AWS call that failed in a way a later try may fix becomes
 * `TransientError`, the one name every Task's `Retry` matches. The SDK retries a few times itself;
 * what still fails after that (a throttle that outlasts them, a service fault) reaches the workflow
 * under that name, and everything else keeps its own (a failed condition, a missing token…).
 */

/** Throttling and rate limits, by the names the services give them (SES v2: TooManyRequestsException). */
const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'SlowDown',
  'PriorRequestNotComplete',
]);

/** A service's own faults and timeouts. */
const FAULTS = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalServerError',
  'InternalServerException',
  'InternalFailure',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'KMSInternalException',
  'DependencyTimeoutException',
  'KeyUnavailableException',
]);

/** A connection that dropped or never came: the request may or may not have been applied. */
const NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

interface SdkErrorShape {
  name: string;
  code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

export function isTransientAwsError(e: unknown): boolean {
  if (!(e instanceof Error) || e instanceof TransientError) return false;
  const err = e as Error & SdkErrorShape;
  if (THROTTLING.has(err.name) || FAULTS.has(err.name)) return true;
  if (err.code !== undefined && NETWORK.has(err.code)) return true;
  if (err.$retryable !== undefined || err.$fault === 'server') return true;
  const status = err.$metadata?.httpStatusCode;
  return status === 429 || (status !== undefined && status >= 500);
}

/**
 * The error a workflow sees: a transient one as `TransientError`, naming the service and the SDK's
 * error name only, never its message (R5: an SES or S3 message can hold an address or a key).
 */
export function classifyAwsError(e: unknown, service: string): unknown {
  return isTransientAwsError(e) ? new TransientError(`${service}: ${(e as Error).name}`) : e;
}

/**
 * A plugin for any SDK v3 client: outermost (`initialize`), so it sees an error only after the
 * SDK's own retries have given up. `client.middlewareStack.use(transientErrors('DynamoDB'))`.
 */
export function transientErrors<Input extends object, Output extends MetadataBearer>(
  service: string,
): Pluggable<Input, Output> {
  return {
    applyToStack(stack) {
      stack.add(
        (next) => async (args) => {
          try {
            return await next(args);
          } catch (e) {
            throw classifyAwsError(e, service);
          }
        },
        { step: 'initialize', name: 'privacyDeskTransientErrors', override: true },
      );
    },
  };
}
