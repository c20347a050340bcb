import { IntegrityError } from '../../functions/domain/errors.ts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import { createDocumentClient } from '../../functions/adapters/dynamodb/client.ts';
import { buildDeps, createLogger, type Deps } from '../../functions/lib/deps.ts';
import { scheduledHandler } from '../../functions/lib/handler.ts';
import { httpHandler, json, parseBody, taskHandler } from '../../functions/lib/http.ts';
import { lambdaContext } from '../../local/lambda-context.ts';
import { apiEvent } from '../support/court-orders.ts';

/** Personal data as it arrives in events; none of it may reach a log line (R5). */
const PERSONAL = ['Lovelace', 'ada@example.org', '21234000012345'];
const patron = { lastName: 'Lovelace', email: 'ada@example.org', cardNumber: '21234000012345' };
const body = JSON.stringify(patron);

const httpEvent = () => apiEvent('POST', '/api/requests', undefined, patron);

let lines: string[];
let deps: Deps;

beforeEach(() => {
  // Even with event logging switched on in the environment, the wrappers never log an event (R5).
  vi.stubEnv('POWERTOOLS_LOGGER_LOG_EVENT', 'true');
  lines = [];
  // Powertools writes to its own console on stdout and stderr (errors).
  const capture = (chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  deps = buildDeps({
    // Never called: nothing here reaches DynamoDB.
    db: createDocumentClient({ endpoint: 'http://127.0.0.1:9' }),
    tables: { requests: 'requests', records: 'records' },
    baseUrl: 'http://localhost/',
    logger: createLogger('DEBUG'),
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const logged = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

function expectContextAndNothingPersonal(fn: string, requestId: string) {
  expect(lines.length).toBeGreaterThan(0);
  for (const line of logged()) {
    expect(line.function_name).toBe(fn);
    expect(line.function_request_id).toBe(requestId);
  }
  const all = lines.join('\n');
  for (const value of PERSONAL) expect(all).not.toContain(value);
  expect(all).not.toContain('Lambda invocation event');
}

describe('handler wrappers: request-scoped logging (R5)', () => {
  it('R5: an HTTP handler logs with the Lambda context, never the event body', async () => {
    const context = lambdaContext('api-requests');
    const handler = httpHandler(deps, async (event) => {
      parseBody(event, z.object({ lastName: z.string(), email: z.string(), cardNumber: z.string() }));
      deps.logger.info('request received');
      return json(202, {});
    });
    const res = await handler(httpEvent(), context);
    expect(res.statusCode).toBe(202);
    expect(logged().map((l) => l.message)).toEqual(['request received']);
    expectContextAndNothingPersonal('api-requests', context.awsRequestId);
  });

  it('R5: an unexpected error is logged by name only, with the Lambda context', async () => {
    const context = lambdaContext('api-requests');
    const handler = httpHandler(deps, async () => {
      throw new TypeError(`cannot read ${body}`);
    });
    const res = await handler(httpEvent(), context);
    expect(res.statusCode).toBe(500);
    expect(logged()).toEqual([expect.objectContaining({ message: 'unhandled error', errorName: 'TypeError' })]);
    expectContextAndNothingPersonal('api-requests', context.awsRequestId);
  });

  it('R5: a task handler logs its request id and the Lambda context, not the rest of its input', async () => {
    const context = lambdaContext('task-match-patron');
    const handler = taskHandler(deps, 'match-patron', z.object({ requestId: z.string() }), async (input) => ({
      requestId: input.requestId,
    }));
    expect(await handler({ requestId: 'R-1', lastName: 'Lovelace', email: 'ada@example.org' }, context)).toEqual({
      requestId: 'R-1',
    });
    expect(logged()).toEqual([expect.objectContaining({ message: 'task', task: 'match-patron', requestId: 'R-1' })]);
    expectContextAndNothingPersonal('task-match-patron', context.awsRequestId);
  });

  it('R5: a task that fails hands Step Functions the error name only, not a message that may quote a person', async () => {
    const context = lambdaContext('task-send-deletion-outcome');
    // As SES v2 throws a refusal: its message quotes the address (the real error class's shape).
    const refusal = Object.assign(new Error('Email address is not verified: ada@example.org'), {
      name: 'MessageRejected',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    const failing = taskHandler(deps, 'send-deletion-outcome', z.object({ requestId: z.string() }), async () => {
      throw refusal;
    });
    const e = await failing({ requestId: 'R-1' }, context).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(e?.name).toBe('MessageRejected'); // what the ASL's Catch matches
    expect(e?.message).not.toContain('ada@example.org');
    // Our own errors are written without personal data, and keep their message for the operator.
    const ours = taskHandler(deps, 'x', z.object({}), async () => {
      throw new IntegrityError('the matched patron is gone');
    });
    await expect(ours({}, context)).rejects.toThrow('the matched patron is gone');
  });

  it('R5: a scheduled handler logs with the Lambda context, never its event', async () => {
    const context = lambdaContext('sweep-deadlines');
    const handler = scheduledHandler(deps, async () => {
      deps.logger.info('swept', { expired: 1 });
      return { expired: 1 };
    });
    const event = { 'detail-type': 'Scheduled Event', detail: { note: body } };
    expect(await handler(event, context)).toEqual({ expired: 1 });
    expectContextAndNothingPersonal('sweep-deadlines', context.awsRequestId);
  });

  it('a scheduled handler runs when called directly, without an event or a context (tests, scripts)', async () => {
    const handler = scheduledHandler(deps, async (event) => event);
    expect(await handler()).toEqual({});
  });

  it('each invocation carries its own request id', async () => {
    const handler = scheduledHandler(deps, async () => deps.logger.info('run'));
    const first = lambdaContext('sweep-due-dates');
    const second = lambdaContext('sweep-due-dates');
    await handler({}, first);
    await handler({}, second);
    expect(logged().map((l) => l.function_request_id)).toEqual([first.awsRequestId, second.awsRequestId]);
  });
});

describe('buildDeps', () => {
  it('withholds a port it was not given: any use says so plainly', () => {
    expect(() => deps.mailer.send).toThrow('built without email access');
    expect(() => deps.files.delete).toThrow('built without files access');
    expect(() => deps.documents.head).toThrow('built without documents access');
    expect(() => deps.workflow.start).toThrow('built without workflow access');
  });

  it('drops a trailing slash from the base URL used in links', () => {
    expect(deps.baseUrl).toBe('http://localhost');
  });
});
