import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { isTransientAwsError } from '../../functions/adapters/aws-errors.ts';
import { createDocumentClient, isConditionalCheckFailed } from '../../functions/adapters/dynamodb/client.ts';
import { SesMailer } from '../../functions/adapters/ses-mailer.ts';
import { TransientError } from '../../functions/domain/errors.ts';

/**
 * ARCHITECTURE.md (Faults): an AWS service's throttling, faults and dropped connections reach the
 * workflow as `TransientError` (what every Task's Retry matches) once the SDK's own retries are
 * spent. Each service here is a local HTTP server answering exactly as the real one does on the
 * wire, so the real SDK client parses the error itself: nothing throws our error type for it.
 */
type Answer = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server | undefined;
let calls = 0;

async function fakeService(answer: Answer): Promise<string> {
  calls = 0;
  server = createServer((req, res) => {
    calls++;
    req.resume();
    req.on('end', () => answer(req, res));
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function stopService(): Promise<void> {
  const s = server;
  server = undefined;
  if (!s) return;
  s.closeAllConnections();
  await new Promise((r) => s.close(r));
}

afterEach(stopService);

const dynamoError =
  (status: number, type: string, message: string): Answer =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'r-1' });
    res.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message }));
  };

const put = (endpoint: string) =>
  createDocumentClient({ endpoint }).send(new PutCommand({ TableName: 't', Item: { pk: 'a', sk: 'b' } }));

const rejection = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );

describe('AWS errors at the boundary (Faults)', () => {
  it('DynamoDB throttling that outlasts the SDK retries becomes TransientError, naming the service and error only', async () => {
    const endpoint = await fakeService(
      dynamoError(400, 'ProvisionedThroughputExceededException', 'Rate of requests exceeds the allowed throughput.'),
    );
    const e = await rejection(put(endpoint));
    expect(e).toBeInstanceOf(TransientError);
    expect((e as Error).name).toBe('TransientError');
    expect((e as Error).message).toBe('DynamoDB: ProvisionedThroughputExceededException');
    expect(calls).toBeGreaterThan(1); // the SDK tried again itself first
  }, 30_000);

  it('a DynamoDB 500 becomes TransientError; a failed condition keeps its own name', async () => {
    let endpoint = await fakeService(dynamoError(500, 'InternalServerError', 'Internal server error'));
    expect(await rejection(put(endpoint))).toBeInstanceOf(TransientError);
    await stopService();
    endpoint = await fakeService(dynamoError(400, 'ConditionalCheckFailedException', 'The conditional request failed'));
    const e = await rejection(put(endpoint));
    expect(e).not.toBeInstanceOf(TransientError);
    expect(isConditionalCheckFailed(e)).toBe(true);
    expect(calls).toBe(1); // never retried
  }, 30_000);

  it('a dropped connection becomes TransientError', async () => {
    const endpoint = await fakeService((req) => req.socket.destroy());
    expect(await rejection(put(endpoint))).toBeInstanceOf(TransientError);
  }, 30_000);

  it('SES TooManyRequestsException (429) becomes TransientError, without the recipient in it (R5)', async () => {
    const endpoint = await fakeService((_req, res) => {
      res.writeHead(429, { 'content-type': 'application/json', 'x-amzn-errortype': 'TooManyRequestsException' });
      res.end(JSON.stringify({ message: 'Maximum sending rate exceeded for ada@example.org.' }));
    });
    const mailer = new SesMailer('privacy@library.example', { endpoint });
    const e = await rejection(mailer.send({ to: ['ada@example.org'], subject: 's', text: 't', html: '<p>t</p>' }));
    expect(e).toBeInstanceOf(TransientError);
    expect((e as Error).message).toBe('SES: TooManyRequestsException');
    expect(JSON.stringify(e)).not.toContain('ada@example.org');
  }, 30_000);

  it('SES refusing a message (400 MessageRejected) stays permanent: a retry would not help', async () => {
    const endpoint = await fakeService((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': 'MessageRejected' });
      res.end(JSON.stringify({ message: 'Email address is not verified.' }));
    });
    const mailer = new SesMailer('privacy@library.example', { endpoint });
    const e = await rejection(mailer.send({ to: ['x@example.org'], subject: 's', text: 't', html: '<p>t</p>' }));
    expect(e).not.toBeInstanceOf(TransientError);
    expect((e as Error).name).toBe('MessageRejected');
    expect(calls).toBe(1);
  });

  it('classifies by name, status and network code, and leaves our own errors alone', () => {
    const sdk = (name: string, extra: object = {}) => Object.assign(new Error('m'), { name, ...extra });
    expect(isTransientAwsError(sdk('SlowDown', { $metadata: { httpStatusCode: 503 } }))).toBe(true);
    expect(isTransientAwsError(sdk('Error', { code: 'ECONNRESET' }))).toBe(true);
    expect(
      isTransientAwsError(sdk('AccessDeniedException', { $fault: 'client', $metadata: { httpStatusCode: 403 } })),
    ).toBe(false);
    expect(isTransientAwsError(sdk('ValidationException', { $metadata: { httpStatusCode: 400 } }))).toBe(false);
    expect(isTransientAwsError(new TransientError('already'))).toBe(false);
    expect(isTransientAwsError('not an error')).toBe(false);
  });
});
