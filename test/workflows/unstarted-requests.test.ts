import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requestKeys } from '../../functions/adapters/dynamodb/keys.ts';
import { StepFunctionsWorkflow, type WorkflowPort } from '../../functions/adapters/step-functions.ts';
import { TransientError } from '../../functions/domain/errors.ts';
import { REQUESTS_TABLE } from '../../local/runtime.ts';
import { executionOf } from '../support/executions.ts';
import { localToken, postForm } from '../support/http.ts';
import {
  ADA,
  DESK,
  eventually,
  linkIn,
  OFFICER,
  startTestRuntime,
  submit,
  waitForStatus,
  type TestRuntime,
} from '../support/runtime.ts';

/**
 * A submission that fails between storing its request and starting its workflow (issue 14): the
 * failure comes from the real Step Functions adapter, whose SDK client meets a stand-in endpoint
 * answering as Step Functions answers (throttling, ExecutionAlreadyExists, an idempotent start).
 * The person tries again; the scheduled sweep (sweep-unstarted-requests) starts the first request's
 * workflow once it is five minutes old, and R7 closes it quietly as a repeat of the retry.
 */

const VERIFY = /confirm your privacy request/;
const CONFIRM_ADDRESS = /Please confirm your email address/;
const PLAN_DECISION = /^Decision needed on a deletion plan/;
const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:privacy-desk-access';

/** What the stand-in answers to each StartExecution, in turn (then the last one again). */
type Answer = { throttle: true } | { alreadyExists: true } | { startedMsAgo: number } | { startedNow: true };

/** Step Functions' JSON protocol, as far as StartExecution goes: the SDK parses these answers as it parses AWS's. */
async function stepFunctionsStandIn(): Promise<{ url: string; answers: Answer[]; calls: string[]; server: Server }> {
  const answers: Answer[] = [];
  const calls: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      calls.push(`${target} ${(JSON.parse(body) as { name?: string }).name ?? ''}`);
      const answer = (answers.length > 1 ? answers.shift() : answers[0]) ?? { startedNow: true };
      const json = (status: number, value: unknown, type?: string) =>
        res
          .writeHead(status, {
            'content-type': 'application/x-amz-json-1.0',
            ...(type ? { 'x-amzn-errortype': type } : {}),
          })
          .end(JSON.stringify(value));
      const { name } = JSON.parse(body) as { name: string };
      const executionArn = `${ARN.replace(':stateMachine:', ':execution:')}:${name}`;
      if ('throttle' in answer)
        return json(400, { __type: 'ThrottlingException', message: 'Rate exceeded' }, 'ThrottlingException');
      if ('alreadyExists' in answer)
        return json(
          400,
          { __type: 'ExecutionAlreadyExists', message: `Execution Already Exists: '${executionArn}'` },
          'ExecutionAlreadyExists',
        );
      const ago = 'startedMsAgo' in answer ? answer.startedMsAgo : 0;
      return json(200, { executionArn, startDate: (Date.now() - ago) / 1000 });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, answers, calls, server };
}

const awsWorkflow = (url: string) =>
  new StepFunctionsWorkflow(JSON.stringify({ access: ARN }), {
    region: 'us-east-1',
    endpoint: url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });

type StandIn = Awaited<ReturnType<typeof stepFunctionsStandIn>>;

/** The Step Functions stand-in, started once for the describe it is called in and closed after it. */
function useStandIn(): () => StandIn {
  let sfn: StandIn | undefined;
  beforeAll(async () => {
    sfn = await stepFunctionsStandIn();
  });
  afterAll(async () => new Promise<void>((r) => (sfn ? sfn.server.close(() => r()) : r())));
  return () => {
    if (!sfn) throw new Error('the stand-in starts before the cases');
    return sfn;
  };
}

/** Each case's runtime, handed to the returned function, is cleaned up after the case, passed or failed. */
function useRuntimePerCase(): (runtime: TestRuntime) => TestRuntime {
  let rt: TestRuntime | undefined;
  afterEach(async () => {
    await rt?.cleanup();
    rt = undefined;
  });
  return (runtime) => (rt = runtime);
}

/**
 * A runtime whose clock runs `skew.ms` ahead, and whose handlers' workflow starts go to Step
 * Functions (the stand-in, throttling past the SDK's retries) while `throttled.on`, to the local
 * engine after.
 */
async function runtimeWithThrottledStarts(
  sfn: StandIn,
): Promise<{ runtime: TestRuntime; skew: { ms: number }; throttled: { on: boolean } }> {
  const skew = { ms: 0 };
  const throttled = { on: true };
  sfn.answers.splice(0, sfn.answers.length, { throttle: true });
  const aws = awsWorkflow(sfn.url);
  const runtime = await startTestRuntime({
    clock: () => new Date(Date.now() + skew.ms),
    wrapWorkflow: (engine): WorkflowPort => ({
      ...engine,
      start: (...a) => (throttled.on ? aws.start(...a) : engine.start(...a)),
    }),
  });
  return { runtime, skew, throttled };
}

describe('a submission whose workflow did not start (issue 14)', () => {
  const standIn = useStandIn();
  const keep = useRuntimePerCase();

  it('R7 R17: the retry is answered as today (one open request, one email); the sweep starts the first once it is five minutes old, and it closes quietly as a repeat', async () => {
    const sfn = standIn();
    const { runtime: r, skew, throttled } = await runtimeWithThrottledStarts(sfn);
    keep(r);
    const body = { kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName };

    // The SDK tried again itself, then gave up: the person is told to try again later.
    const failed = await submit(r, body);
    expect(failed.status).toBe(500);
    expect(sfn.calls.length).toBeGreaterThan(1);
    const [stranded] = await r.deps.requests.listByStatus('received');
    expect(stranded).toBeDefined();
    const strandedId = stranded!.requestId;

    // The person tries again and is answered as today.
    throttled.on = false;
    const retried = await submit(r, body);
    expect(retried.status).toBe(202);
    const verify = await r.mail.waitFor(ADA.email, VERIFY);

    // Bad input beside it: an unreadable `received` item on the index is passed over, not fatal.
    await r.db.send(
      new PutCommand({
        TableName: REQUESTS_TABLE,
        Item: {
          ...requestKeys.request('not-a-request'),
          gsi2pk: requestKeys.byStatus('received'),
          gsi2sk: '0000#not-a-request',
          requestId: 'not-a-request',
          kind: 'no-such-kind',
          createdAt: new Date(Date.now() - 3600_000).toISOString(),
        },
      }),
    );

    // The sweep runs every 100 ms here; while the request is younger than five minutes it waits.
    await new Promise((res) => setTimeout(res, 500));
    expect((await r.deps.requests.get(strandedId)).status).toBe('received');
    expect(await r.engine.status(executionOf('access', strandedId))).toBeUndefined();

    skew.ms = 6 * 60_000;
    const events = await eventually(
      async () => {
        const trail = await r.deps.audit.list(strandedId);
        return trail.some((e) => e.type === 'repeat-closed-quietly') ? trail : undefined;
      },
      20_000,
      'the stranded request started and closed quietly',
    );
    expect(events.map((e) => e.type).sort()).toEqual(
      ['request-received', 'repeat-closed-quietly', 'workflow-started-late'].sort(),
    );
    expect(events.find((e) => e.type === 'workflow-started-late')?.data).toEqual({ receivedAt: stranded!.createdAt });
    expect(events.find((e) => e.type === 'repeat-closed-quietly')?.data).toEqual({
      patronId: ADA.id,
      openRequestId: retried.body.requestId,
    });
    // R5: ids and times only.
    expect(JSON.stringify(events)).not.toMatch(new RegExp(`${ADA.email}|${ADA.cardNumber}|${ADA.lastName}`));
    expect((await r.deps.requests.get(strandedId)).matched).toBe(false);
    await r.db.send(new DeleteCommand({ TableName: REQUESTS_TABLE, Key: requestKeys.request('not-a-request') }));

    // One email; the retry goes on to the end; the sweep started the stranded one once.
    await new Promise((res) => setTimeout(res, 500));
    expect((await r.mail.to(ADA.email)).filter((e) => VERIFY.test(e.subject))).toHaveLength(1);
    expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
    await waitForStatus(r, retried.body.statusUrl, 'completed');
    expect((await r.deps.audit.list(strandedId)).filter((e) => e.type === 'workflow-started-late')).toHaveLength(1);
  });

  it('R17: the late start is on the trail before it is tried; a start throttled past the SDK is tried again by the next run, and the trail keeps one event', async () => {
    const sfn = standIn();
    const { runtime: r, skew, throttled } = await runtimeWithThrottledStarts(sfn);
    keep(r);
    const failed = await submit(r, { kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
    expect(failed.status).toBe(500);
    const [stranded] = await r.deps.requests.listByStatus('received');
    const strandedId = stranded!.requestId;

    // Five minutes on, Step Functions still throttles: every run of the sweep fails its start.
    const callsBefore = sfn.calls.length;
    skew.ms = 6 * 60_000;
    await eventually(
      async () => (sfn.calls.length > callsBefore + 4 ? true : undefined),
      20_000,
      'the sweep tried the start',
    );
    const trail = await r.deps.audit.list(strandedId);
    expect(trail.filter((e) => e.type === 'workflow-started-late')).toHaveLength(1);
    expect(await r.engine.status(executionOf('access', strandedId))).toBeUndefined();
    expect((await r.deps.requests.get(strandedId)).status).toBe('received');

    // Step Functions answers again: the next run starts it, and the request goes on as any other.
    throttled.on = false;
    await r.mail.waitFor(ADA.email, VERIFY);
    expect(await r.engine.status(executionOf('access', strandedId))).toBeDefined();
    expect((await r.deps.audit.list(strandedId)).filter((e) => e.type === 'workflow-started-late')).toHaveLength(1);
  });
});

describe('starting a workflow is idempotent by name, on both engines', () => {
  const standIn = useStandIn();

  it('Step Functions: a new execution is started; ExecutionAlreadyExists, or the same execution answered again, is not; throttling past the SDK retries is a TransientError', async () => {
    const sfn = standIn();
    const aws = awsWorkflow(sfn.url);
    const id = '6f1c2b9e-1d4a-4e7b-9c3f-2a8d5e6f7a10';
    const executionId = `${ARN.replace(':stateMachine:', ':execution:')}:${id}`;
    expect(aws.executionIdOf('access', id)).toBe(executionId);
    sfn.answers.splice(0, sfn.answers.length, { startedNow: true });
    expect(await aws.start('access', id, { requestId: id })).toEqual({ executionId, started: true });
    sfn.answers.splice(0, sfn.answers.length, { startedMsAgo: 10 * 60_000 });
    expect(await aws.start('access', id, { requestId: id })).toEqual({ executionId, started: false });
    sfn.answers.splice(0, sfn.answers.length, { alreadyExists: true });
    expect(await aws.start('access', id, { requestId: id })).toEqual({ executionId, started: false });
    sfn.answers.splice(0, sfn.answers.length, { throttle: true });
    await expect(aws.start('access', id, { requestId: id })).rejects.toBeInstanceOf(TransientError);
  });

  it('the local engine: a second start of the same name starts nothing, while it runs or after it ended', async () => {
    const rt = await startTestRuntime({ schedules: [] });
    try {
      const id = '7a2d3c4b-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
      expect(rt.engine.executionIdOf('access', id)).toBe(executionOf('access', id));
      const first = await rt.engine.start('access', id, { requestId: id });
      const second = await rt.engine.start('access', id, { requestId: id });
      expect(first).toEqual({ executionId: executionOf('access', id), started: true });
      expect(second).toEqual({ executionId: executionOf('access', id), started: false });
      // Ended (no such request: it fails), as Step Functions' ExecutionAlreadyExists for a closed one: still nothing.
      await rt.engine.whenDone(executionOf('access', id));
      const ended = await rt.engine.status(executionOf('access', id));
      expect(ended).toBe('FAILED');
      expect(await rt.engine.start('access', id, { requestId: id })).toEqual({
        executionId: executionOf('access', id),
        started: false,
      });
      expect(await rt.engine.status(executionOf('access', id))).toBe(ended);
    } finally {
      await rt.cleanup();
    }
  });
});

describe('a request whose workflow runs and waits is not the sweep’s (R7, R17)', () => {
  const keep = useRuntimePerCase();

  it('R7 R14 R17: a third party waiting to confirm their address for longer than five minutes is neither started again nor marked started late: the request reads as verifying from its first step', async () => {
    const skew = { ms: 0 };
    const starts: string[] = [];
    const r = keep(
      await startTestRuntime({
        clock: () => new Date(Date.now() + skew.ms),
        wrapWorkflow: (engine): WorkflowPort => ({
          ...engine,
          start: (workflow, name, input) => {
            starts.push(name);
            return engine.start(workflow, name, input);
          },
        }),
      }),
    );
    const thirdParty = {
      name: 'Jordan Blake',
      email: 'jordan.blake@lawfirm.example',
      organization: 'Blake & Partners',
    };
    const submitted = await submit(r, {
      kind: 'third-party',
      requester: thirdParty,
      patron: { cardNumber: ADA.cardNumber, lastName: ADA.lastName },
      categories: ['library-records'],
      purpose: 'Tenancy reference: the landlord asks for proof of library membership.',
    });
    expect(submitted.status).toBe(202);
    const { requestId } = submitted.body;
    await r.mail.waitFor(thirdParty.email, CONFIRM_ADDRESS);
    // R15: the request waits on the requester, who sees it being verified.
    await waitForStatus(r, submitted.body.statusUrl, 'verifying');

    // The third party takes their time: the sweep, every 100 ms here, finds nothing of theirs to start.
    skew.ms = 6 * 60_000;
    await new Promise((res) => setTimeout(res, 1_000));
    expect(starts.filter((name) => name === requestId)).toHaveLength(1);
    expect((await r.mail.to(thirdParty.email)).filter((e) => CONFIRM_ADDRESS.test(e.subject))).toHaveLength(1);
    const trail = await r.deps.audit.list(requestId);
    expect(trail.map((e) => e.type)).not.toContain('workflow-started-late');
    expect(await r.engine.status(executionOf('third-party', requestId))).toBe('RUNNING');
  });
});

describe('a desk request whose workflow did not start (R7)', () => {
  const standIn = useStandIn();
  const keep = useRuntimePerCase();

  it('R7 R8: staff told the desk request failed make it again; the stranded one, started late, does not run a second deletion', async () => {
    const sfn = standIn();
    const { runtime: r, skew, throttled } = await runtimeWithThrottledStarts(sfn);
    keep(r);
    const desk = await localToken(r.baseUrl, DESK, ['circulation']);
    const atDesk = () =>
      fetch(`${r.baseUrl}/api/staff/requests`, {
        method: 'POST',
        headers: { authorization: `Bearer ${desk}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          kind: 'deletion',
          cardNumber: ADA.cardNumber,
          lastName: ADA.lastName,
          documentKind: 'photo-id',
        }),
      });

    expect((await atDesk()).status).toBe(500);
    const [stranded] = await r.deps.requests.listByStatus('received');
    expect(stranded).toBeDefined();
    throttled.on = false;
    const retried = await atDesk();
    expect(retried.status).toBe(202);
    const { requestId } = (await retried.json()) as { requestId: string };
    await r.mail.waitFor(OFFICER, PLAN_DECISION);

    skew.ms = 6 * 60_000;
    await eventually(
      async () =>
        (await r.deps.audit.list(stranded!.requestId)).some((e) => e.type === 'workflow-started-late')
          ? true
          : undefined,
      20_000,
      'the stranded desk request started',
    );
    // Its match step decides within moments; a deletion plan would be asked about within the same.
    await eventually(
      async () => ((await r.deps.requests.get(stranded!.requestId)).matched !== undefined ? true : undefined),
      20_000,
      'the stranded desk request matched or closed',
    );
    await new Promise((res) => setTimeout(res, 1_000));
    // One deletion for Ada: the plan the staff member's second try made is the only one asked about.
    expect((await r.mail.to(OFFICER)).filter((e) => PLAN_DECISION.test(e.subject))).toHaveLength(1);
    expect((await r.deps.audit.list(stranded!.requestId)).map((e) => e.type)).toContain('repeat-closed-quietly');
    expect((await r.deps.requests.get(requestId)).status).toBe('awaiting-approval');
  });
});
