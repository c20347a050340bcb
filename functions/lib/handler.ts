import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';

/**
 * Request-scoped logging for every handler: each log line of an invocation carries its Lambda
 * context (function name, request id, cold start). R5: the event itself is never logged, whatever
 * POWERTOOLS_LOGGER_LOG_EVENT says, since a body, a form or a query string can hold personal data.
 * Keys a handler appends for one invocation are dropped after it. In Lambda an instance serves one
 * invocation at a time, so the shared logger is the request's own; the local runtime shares one
 * logger between concurrent invocations, and there the context is the latest one's.
 */
export function requestLogging(logger: Logger): MiddlewareObj {
  return injectLambdaContext(logger, { logEvent: false, resetKeys: true });
}

/** The middy pipeline every handler starts from (HTTP and task handlers add to it in ./http.ts). */
export function lambdaHandler<E, R>(deps: { logger: Logger }) {
  return middy<E, R>().use(requestLogging(deps.logger));
}

/**
 * A scheduled function (EventBridge in AWS, a timer in the local runtime). Its event says only
 * that the schedule fired, so the run gets it as `unknown` to parse if it takes options at all.
 * Tests call it directly, without an event or a context.
 */
export function scheduledHandler<R>(deps: { logger: Logger }, run: (event: unknown) => Promise<R>) {
  const handler = lambdaHandler<unknown, R>(deps).handler((event) => run(event));
  // A direct call has no Lambda context: the logger then reads its fields as absent.
  return (event: unknown = {}, context?: Context): Promise<R> => handler(event, context ?? ({} as Context));
}
