import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { Logger } from '@aws-lambda-powertools/logger';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';

type RunOptions = NonNullable<Parameters<StateMachine['run']>[1]>;
type LocalHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
import { z } from 'zod';
import { requestKeys } from '../functions/adapters/dynamodb/keys.ts';
import type { WorkflowPort, WorkflowStart } from '../functions/adapters/step-functions.ts';
import { WORKFLOWS, type FunctionName, type WorkflowName } from '../workflows/index.ts';
import { afterAnswer, answersInProgress, onAnswersSent } from './answer-first.ts';
import { lambdaContext } from './lambda-context.ts';

/**
 * Runs the same ASL files as Step Functions, with aws-local-stepfunctions, mapping each Task to
 * the same handler in-process. That library has no callback tokens, so this engine supplies them:
 * a `.waitForTaskToken` task gets a fresh token, its handler stores and emails it, and the task
 * resolves when `sendTaskSuccess` arrives. Every state entered is checkpointed in DynamoDB, so a
 * restarted runtime resumes each running execution where it was, waiting tasks included; an answer
 * is stored with its execution before `sendTaskSuccess` returns, so one given just before a restart
 * is not lost with the process's memory.
 *
 * As StartExecution does, `start` stores the execution and returns: it runs after the HTTP answer
 * that started it has gone out (answer-first.ts). Task invocations share a few slots, taken in
 * turn, and only one while any HTTP answer is being prepared: however many executions run at
 * once, the HTTP handlers (which take no slot) meet few workflow steps in the event loop and the
 * store, so people's answers are not starved, and the workflows always move on.
 */
export type TaskFunction = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

interface AslState {
  Type: string;
  Resource?: string;
  TimeoutSeconds?: number;
  Parameters?: { FunctionName?: string; Payload?: unknown };
  Branches?: AslDefinition[];
  ItemProcessor?: AslDefinition;
  Iterator?: AslDefinition;
}
interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
}

/**
 * Every state, those inside a Map's ItemProcessor (or Iterator) and a Parallel's Branches
 * included: the library looks a Task's local handler up by state name at any depth, so nested
 * state names are unique across the definition (Step Functions requires it too).
 */
function* allStates(def: AslDefinition): Generator<[string, AslState]> {
  for (const [name, state] of Object.entries(def.States)) {
    yield [name, state];
    for (const branch of state.Branches ?? []) yield* allStates(branch);
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner) yield* allStates(inner);
  }
}

const WAIT_FOR_TOKEN = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
/** The library's own timer for a plain Task, kept below Node's 2^31 ms timer limit: the engine times those tasks itself. */
const LIBRARY_TASK_TIMER_SECONDS = 2_000_000;
const TOKEN_PLACEHOLDER = 'local-task-token-placeholder';
const fakeArn = (fn: FunctionName) => `arn:aws:lambda:us-east-1:000000000000:function:privacy-desk-${fn}`;

const checkpointSchema = z.object({ seq: z.number(), state: z.string(), input: z.unknown() });
const waitingSchema = z.object({ seq: z.number(), state: z.string(), token: z.string(), deadline: z.number() });
/** An answer to a waiting step (SendTaskSuccess or SendTaskFailure): ids and enums only, as every workflow payload (R5). */
const taskAnswerSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), output: z.unknown() }),
  z.object({ ok: z.literal(false), error: z.string(), cause: z.string() }),
]);
type TaskAnswer = z.infer<typeof taskAnswerSchema>;
const storedAnswerSchema = z.intersection(z.object({ token: z.string() }), taskAnswerSchema);
const executionSchema = z.object({
  executionId: z.string(),
  workflow: z.enum(Object.keys(WORKFLOWS) as [WorkflowName]),
  status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'ABORTED']),
  checkpoint: checkpointSchema,
  waiting: waitingSchema.optional(),
  /** The last answer handed to a top-level waiting step, kept until the execution ends. */
  answer: storedAnswerSchema.optional(),
});
type ExecutionItem = z.infer<typeof executionSchema>;

/** Errors named as Step Functions names them, so the ASL's Catch matches the same way. */
class CallbackError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export interface HistoryEvent {
  type: string;
  state?: string;
  input?: unknown;
  output?: unknown;
  error?: string;
  cause?: string;
}

interface RunningExecution {
  workflow: WorkflowName;
  seq: number;
  current: { seq: number; state: string };
  writes: Promise<void>;
  abort: () => void;
  done: Promise<void>;
  history: HistoryEvent[];
}

export interface LocalEngineOptions {
  db: DynamoDBDocumentClient;
  table: string;
  functions: Record<FunctionName, TaskFunction>;
  logger: Logger;
  /** Tests shorten Retry pauses; the ASL's own intervals apply otherwise. */
  retryPauseMs?: number;
  /** How many task invocations run at once, all executions together, while no HTTP answer is being prepared (default TASK_SLOTS); one while any is. */
  taskSlots?: number;
  /**
   * Tests only: runs before each checkpoint is written, and may hold it. A rejection leaves that
   * checkpoint (and every later one of the run) unwritten, as a process that stops first would.
   */
  beforeCheckpoint?: (executionId: string, state: string) => Promise<void>;
}

/**
 * Task invocations at once while no HTTP answer is being prepared: a request's fan-out over five
 * systems (R19, the Map's SYSTEMS_MAP_CONCURRENCY) runs them all at once, with one more for another
 * execution's step. With four, a fifth system waited for a slot as it did for the Map's.
 */
const TASK_SLOTS = 6;

/**
 * At most `size()` jobs at once, the others waiting in arrival order. The size may change between
 * calls; it is at least 1, so a waiting job always has a running one whose end lets it in, and
 * `admit` lets it in sooner when the size grows back.
 */
class Slots {
  private busy = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly size: () => number) {}

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.busy < this.size()) this.busy++;
    else await new Promise<void>((resolve) => this.queue.push(resolve));
    try {
      return await job();
    } finally {
      this.busy--;
      this.admit();
    }
  }

  /**
   * Lets waiting jobs in while there is room: when a job ends, and when the size grows back. A job
   * that queued while the size was one (an HTTP answer under way) would otherwise wait for a running
   * job to end, long after the answer had gone: a request's systems reached one after another.
   */
  admit(): void {
    while (this.queue.length > 0 && this.busy < this.size()) {
      this.busy++;
      this.queue.shift()?.();
    }
  }
}

export class LocalEngine implements WorkflowPort {
  private readonly definitions: Record<WorkflowName, AslDefinition>;
  /**
   * What the library runs: the same definitions, but a plain Task's TimeoutSeconds is enforced by
   * the engine from when its handler starts, as Lambda's timeout runs, so the wait for a task slot
   * never counts against it. The library would start its timer before that wait.
   */
  private readonly runnable: Record<WorkflowName, AslDefinition>;
  private readonly running = new Map<string, RunningExecution>();
  /** Started and stored, waiting for the answer that started them to go out; resolves once running. */
  private readonly starting = new Map<string, Promise<void>>();
  /** Stopped while starting: never run. */
  private readonly cancelled = new Set<string>();
  private readonly slots: Slots;
  /** Stops letting waiting invocations in as HTTP answers go out (at shutdown). */
  private readonly stopAdmitting: () => void;
  private stopping = false;
  /** Task invocations under way: a shutdown lets them finish before the database closes. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly waiters = new Map<
    string,
    { executionId: string; resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  /**
   * Tokens whose task is under way but not yet waiting. As in Step Functions, a token works from the
   * moment its task starts, so the task itself (or a fast click) may answer before the wait begins.
   */
  private readonly early = new Map<string, { executionId: string; answer: TaskAnswer | null }>();
  /** Answers being stored, by token: a second answer meanwhile is refused, and a failing handler waits to see whether this one wins. */
  private readonly handing = new Map<string, Promise<void>>();

  constructor(private readonly opts: LocalEngineOptions) {
    const slots = opts.taskSlots ?? TASK_SLOTS;
    this.slots = new Slots(() => (answersInProgress() > 0 ? 1 : slots));
    this.stopAdmitting = onAnswersSent(() => this.slots.admit());
    this.definitions = Object.fromEntries(
      Object.entries(WORKFLOWS).map(([name, wf]) => {
        let text = readFileSync(new URL(`../workflows/${wf.file}`, import.meta.url), 'utf8');
        for (const [placeholder, fn] of Object.entries(wf.functions))
          text = text.replaceAll(`\${${placeholder}}`, fakeArn(fn));
        if (text.includes('${')) throw new Error(`${wf.file} has a placeholder with no function`);
        const definition = JSON.parse(text) as AslDefinition;
        new StateMachine(definition as unknown as StateMachineDefinition); // validates once, throws if invalid
        return [name, definition];
      }),
    ) as Record<WorkflowName, AslDefinition>;
    this.runnable = Object.fromEntries(
      Object.entries(this.definitions).map(([name, def]) => {
        const copy = structuredClone(def);
        for (const [, state] of allStates(copy))
          if (state.Type === 'Task' && state.Resource !== WAIT_FOR_TOKEN)
            state.TimeoutSeconds = LIBRARY_TASK_TIMER_SECONDS;
        return [name, copy];
      }),
    ) as Record<WorkflowName, AslDefinition>;
  }

  executionIdOf(workflow: WorkflowName, name: string): string {
    return `local:${workflow}:${name}`;
  }

  async start(workflow: WorkflowName, name: string, input: Record<string, unknown>): Promise<WorkflowStart> {
    const executionId = this.executionIdOf(workflow, name);
    const def = this.definitions[workflow];
    const item: ExecutionItem = {
      executionId,
      workflow,
      status: 'RUNNING',
      checkpoint: { seq: 0, state: def.StartAt, input },
    };
    try {
      await this.opts.db.send(
        new PutCommand({
          TableName: this.opts.table,
          Item: {
            ...requestKeys.execution(executionId),
            gsi2pk: requestKeys.runningExecutions,
            gsi2sk: executionId,
            ...item,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (e) {
      // Same name: already started, running or ended, as Step Functions' ExecutionAlreadyExists says.
      if (e instanceof Error && e.name === 'ConditionalCheckFailedException') return { executionId, started: false };
      throw e;
    }
    // Stored: from here a restart resumes it. It runs once the caller's answer is out.
    this.starting.set(
      executionId,
      new Promise((started) =>
        afterAnswer(() => {
          this.starting.delete(executionId);
          if (!this.stopping && !this.cancelled.delete(executionId)) this.run(item);
          started();
        }),
      ),
    );
    return { executionId, started: true };
  }

  /** Picks up every execution that was running when the runtime stopped. */
  async resumeAll(): Promise<number> {
    let start: Record<string, unknown> | undefined;
    let resumed = 0;
    do {
      const res = await this.opts.db.send(
        new QueryCommand({
          TableName: this.opts.table,
          IndexName: 'gsi2',
          KeyConditionExpression: 'gsi2pk = :r',
          ExpressionAttributeValues: { ':r': requestKeys.runningExecutions },
          ExclusiveStartKey: start,
        }),
      );
      for (const raw of res.Items ?? []) {
        const item = executionSchema.parse(raw);
        if (this.running.has(item.executionId) || this.starting.has(item.executionId)) continue;
        // A link clicked while the execution is still finding its way back to its wait is kept, not lost.
        // An answer stored before the restart, whose step had not moved on yet, is that step's answer.
        const w = item.waiting;
        if (w && w.seq === item.checkpoint.seq && w.state === item.checkpoint.state && !this.early.has(w.token)) {
          const answer = item.answer?.token === w.token ? withoutToken(item.answer) : null;
          this.early.set(w.token, { executionId: item.executionId, answer });
        }
        this.run(item);
        resumed++;
      }
      start = res.LastEvaluatedKey;
    } while (start);
    return resumed;
  }

  async stop(executionId: string, _reason?: string): Promise<void> {
    if (this.starting.has(executionId)) this.cancelled.add(executionId);
    const exec = this.running.get(executionId);
    exec?.abort();
    for (const [token, w] of this.waiters) {
      if (w.executionId !== executionId) continue;
      clearTimeout(w.timer);
      this.waiters.delete(token);
    }
    await this.finish(executionId, 'ABORTED');
  }

  async sendTaskSuccess(taskToken: string, output: Record<string, unknown>): Promise<void> {
    await this.answer(taskToken, { ok: true, output });
  }

  async sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void> {
    await this.answer(taskToken, { ok: false, error, cause });
  }

  /**
   * As in Step Functions, an answer is kept durably before the call returns: it is stored with the
   * execution first, so a restart before the step's next checkpoint resumes the step with it
   * (resumeAll) instead of waiting again on a token nobody will answer. Once only: a token already
   * answered, or no longer waited on, is refused as Step Functions refuses it.
   */
  private async answer(token: string, answer: TaskAnswer): Promise<void> {
    const early = this.early.get(token);
    const executionId = this.waiters.get(token)?.executionId ?? early?.executionId;
    if (!executionId) throw new CallbackError('TaskDoesNotExist', 'no task waits for this token');
    if (early?.answer || this.handing.has(token)) throw new CallbackError('TaskTimedOut', 'the task was answered');
    const handOver = async () => {
      await this.storeAnswer(executionId, token, answer);
      // Looked up again: the wait may have begun, timed out or been stopped while the answer was stored.
      const waiter = this.waiters.get(token);
      if (waiter) {
        this.waiters.delete(token);
        clearTimeout(waiter.timer);
        if (answer.ok) waiter.resolve(answer.output);
        else waiter.reject(new CallbackError(answer.error, answer.cause));
        return;
      }
      const notYetWaiting = this.early.get(token);
      if (notYetWaiting) {
        notYetWaiting.answer = answer;
        return;
      }
      throw new CallbackError('TaskTimedOut', 'the task no longer waits');
    };
    const handing = handOver();
    this.handing.set(token, handing);
    try {
      await handing;
    } finally {
      this.handing.delete(token);
    }
  }

  private async storeAnswer(executionId: string, token: string, answer: TaskAnswer): Promise<void> {
    try {
      await this.opts.db.send(
        new UpdateCommand({
          TableName: this.opts.table,
          Key: requestKeys.execution(executionId),
          UpdateExpression: 'SET #a = :a',
          ConditionExpression: '#s = :running AND (attribute_not_exists(#a) OR #a.#t <> :t)',
          ExpressionAttributeNames: { '#a': 'answer', '#s': 'status', '#t': 'token' },
          ExpressionAttributeValues: { ':a': { token, ...answer }, ':running': 'RUNNING', ':t': token },
        }),
      );
    } catch (e) {
      // Ended, or this token answered already (before a restart, or by a call at the same time).
      if (e instanceof Error && e.name === 'ConditionalCheckFailedException')
        throw new CallbackError('TaskTimedOut', 'the task was answered or has ended');
      throw e;
    }
  }

  /** The states entered and left, with their inputs and outputs (tests check them for R5). */
  history(executionId: string): HistoryEvent[] {
    return this.running.get(executionId)?.history ?? [];
  }

  /** Resolves when the execution ends (or at once if it is not running here). */
  async whenDone(executionId: string): Promise<void> {
    await this.starting.get(executionId);
    await this.running.get(executionId)?.done;
  }

  async status(executionId: string): Promise<ExecutionItem['status'] | undefined> {
    const res = await this.opts.db.send(
      new GetCommand({ TableName: this.opts.table, Key: requestKeys.execution(executionId), ConsistentRead: true }),
    );
    return res.Item ? executionSchema.parse(res.Item).status : undefined;
  }

  /**
   * Stops every execution without recording an end, as a process exit would. Handlers already
   * running are waited for, up to `graceMs`: one cut off part way (between an email and its record,
   * say) would be run again after a restart and repeat what it had done.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.stopping = true;
    this.stopAdmitting();
    for (const w of this.waiters.values()) clearTimeout(w.timer);
    this.waiters.clear();
    const all = [...this.running.values()];
    for (const exec of all) exec.abort();
    // Aborting stops the state machine, not a handler already running: let those finish (bounded).
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((r) => {
        grace = setTimeout(r, graceMs);
      }),
    ]);
    clearTimeout(grace);
    await Promise.allSettled(all.map((e) => e.writes));
    this.running.clear();
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    const done = () => this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }

  private run(item: ExecutionItem): void {
    const def = this.definitions[item.workflow];
    // The definition was validated whole when the engine loaded it. Validating again on every run
    // is a synchronous schema pass over the whole definition that blocks every HTTP answer while it
    // runs (the bulk of a submit's time under load); and a resumed run starts at its checkpoint,
    // which leaves earlier states unreachable.
    const runnable = this.runnable[item.workflow];
    const machine = new StateMachine(
      { ...runnable, StartAt: item.checkpoint.state } as unknown as StateMachineDefinition,
      {
        validationOptions: { noValidate: true },
      },
    );
    const exec: RunningExecution = {
      workflow: item.workflow,
      seq: item.checkpoint.seq - 1,
      current: { seq: item.checkpoint.seq, state: item.checkpoint.state },
      writes: Promise.resolve(),
      abort: () => undefined,
      done: Promise.resolve(),
      history: [],
    };
    const overrides = this.taskOverrides(item.executionId, def, exec);
    const retryIntervalOverrides =
      this.opts.retryPauseMs === undefined
        ? undefined
        : Object.fromEntries([...allStates(def)].map(([s]) => [s, this.opts.retryPauseMs as number]));
    const execution = machine.run(item.checkpoint.input as Parameters<StateMachine['run']>[0], {
      overrides: {
        taskResourceLocalHandlers: overrides,
        ...(retryIntervalOverrides ? { retryIntervalOverrides } : {}),
      },
      context: { Task: { Token: TOKEN_PLACEHOLDER } },
      noThrowOnAbort: true,
    });
    exec.abort = execution.abort;
    this.running.set(item.executionId, exec);

    const consume = (async () => {
      for await (const event of execution.eventLogs) {
        if (event.type === 'StateEntered' && event.state.name in def.States) {
          exec.seq++;
          exec.current = { seq: exec.seq, state: event.state.name };
          exec.history.push({ type: event.type, state: event.state.name, input: event.state.input });
          const checkpoint = { seq: exec.seq, state: event.state.name, input: event.state.input };
          exec.writes = exec.writes.then(() => this.saveCheckpoint(item.executionId, checkpoint));
          // Awaited by the next wait and at the end; until then a failed write must not go unhandled.
          exec.writes.catch(() => undefined);
        } else if (event.type === 'StateExited') {
          exec.history.push({ type: event.type, state: event.state.name, output: event.state.output });
        } else if (event.type === 'StateFailed') {
          exec.history.push({
            type: event.type,
            state: event.state.name,
            error: event.Error,
            cause: String(event.Cause).slice(0, 300),
          });
        } else if (event.type === 'ExecutionFailed') {
          exec.history.push({ type: event.type, error: event.Error, cause: String(event.Cause).slice(0, 300) });
        }
      }
    })();

    exec.done = execution.result
      .then(async (output) => {
        await consume;
        if (this.stopping) return; // a shutdown is not an end: the execution resumes on restart
        await exec.writes;
        await this.finish(item.executionId, output === null ? 'ABORTED' : 'SUCCEEDED');
      })
      .catch(async (error: unknown) => {
        await consume.catch(() => undefined);
        await exec.writes.catch(() => undefined);
        if (this.stopping) return;
        this.opts.logger.warn('execution failed', { executionId: item.executionId, errorName: errorName(error) });
        await this.finish(item.executionId, 'FAILED');
      });
  }

  private taskOverrides(executionId: string, def: AslDefinition, exec: RunningExecution): LocalHandlers {
    const out: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [stateName, state] of allStates(def)) {
      if (state.Type !== 'Task' || !state.Resource) continue;
      if (state.Resource === WAIT_FOR_TOKEN) {
        const fn = this.functionFor(String(state.Parameters?.FunctionName));
        // A waiting step inside a Map (or Parallel) may run again, and several at once, within one
        // checkpointed top-level state: each entry gets a fresh token (a restart re-runs the Map).
        const nested = !(stateName in def.States);
        out[stateName] = (params) => this.waitForToken(executionId, stateName, fn, params, exec, nested);
      } else {
        const fn = this.functionFor(state.Resource);
        const seconds = state.TimeoutSeconds ?? 60;
        out[stateName] = (input) =>
          this.track(
            this.slots.run(() => this.unlessStopping(() => withTimeout(fn(input, lambdaContext(stateName)), seconds))),
          );
      }
    }
    // Handlers return JSON-serialisable results; the library's type says so, ours says unknown.
    return out as unknown as LocalHandlers;
  }

  /** A task that waited for a slot while the runtime stopped does not start: its execution resumes on restart. */
  private unlessStopping<T>(task: () => Promise<T>): Promise<T> {
    return this.stopping ? Promise.reject(new CallbackError('States.Runtime', 'the runtime is stopping')) : task();
  }

  private functionFor(arn: string): TaskFunction {
    const name = Object.keys(this.opts.functions).find((fn) => fakeArn(fn as FunctionName) === arn) as
      FunctionName | undefined;
    if (!name) throw new Error(`no local function for ${arn}`);
    return this.opts.functions[name];
  }

  private async waitForToken(
    executionId: string,
    state: string,
    fn: TaskFunction,
    params: unknown,
    exec: RunningExecution,
    nested = false,
  ): Promise<unknown> {
    // Let the event consumer record this state's checkpoint, and make it durable, before acting.
    await nextTurn();
    await exec.writes;
    const { seq } = exec.current;
    const stored = await this.load(executionId);
    const timeoutSeconds = this.timeoutOf(state, params, stored?.checkpoint.input);
    // Only top-level states are checkpointed: a wait inside a Map (one per item, several at once)
    // always starts afresh, and its handler stores the new token where its answer will look (R19).
    let waiting = nested ? undefined : stored?.waiting;
    if (!waiting || waiting.seq !== seq || waiting.state !== state) {
      if (waiting) this.early.delete(waiting.token); // a stale wait's token answers nothing
      const token = `local-${randomBytes(24).toString('base64url')}`;
      const payload = { ...(params as { Payload?: Record<string, unknown> }).Payload, taskToken: token };
      this.early.set(token, { executionId, answer: null });
      const record = { seq, state, token, deadline: Date.now() + timeoutSeconds * 1000 };
      // The handler and the record of its token are one unit for a shutdown to wait on: a token
      // emailed but not recorded would answer nothing after a restart.
      const start = async () => {
        try {
          await fn(payload, lambdaContext(state));
        } catch (e) {
          // As in Step Functions, whichever comes first ends the task: an answer already sent with
          // this token (the link clicked while the handler was still finishing) wins over its error.
          await this.handing.get(token)?.catch(() => undefined);
          if (!this.early.get(token)?.answer) {
            this.early.delete(token);
            throw e;
          }
        }
        // Recorded once the handler succeeded (or was answered): a failed attempt is retried in
        // full, and a restart finds the stored answer against this token.
        if (nested) return;
        await this.opts.db.send(
          new UpdateCommand({
            TableName: this.opts.table,
            Key: requestKeys.execution(executionId),
            UpdateExpression: 'SET waiting = :w',
            ExpressionAttributeValues: { ':w': record },
          }),
        );
      };
      await this.track(this.slots.run(() => this.unlessStopping(start)));
      waiting = record;
    }
    const { token, deadline } = waiting;
    const answered = this.early.get(token)?.answer;
    this.early.delete(token);
    if (answered) {
      if (answered.ok) return answered.output;
      throw new CallbackError(answered.error, answered.cause);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.waiters.delete(token);
          reject(new CallbackError('States.Timeout', 'the task timed out'));
        },
        Math.max(0, deadline - Date.now()),
      );
      this.waiters.set(token, { executionId, resolve, reject, timer });
    });
  }

  /** TimeoutSecondsPath is read from the state input, as Step Functions does. */
  private timeoutOf(state: string, _params: unknown, input: unknown): number {
    const found = Object.values(this.definitions)
      .map((d) => [...allStates(d)].find(([name]) => name === state)?.[1])
      .find((x) => x !== undefined);
    const s = found as { TimeoutSeconds?: number; TimeoutSecondsPath?: string } | undefined;
    if (s?.TimeoutSeconds) return s.TimeoutSeconds;
    if (s?.TimeoutSecondsPath) {
      const value = s.TimeoutSecondsPath.replace(/^\$\.?/, '')
        .split('.')
        .filter(Boolean)
        .reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), input);
      if (typeof value === 'number' && value > 0) return value;
    }
    return 60;
  }

  private async load(executionId: string): Promise<ExecutionItem | undefined> {
    const res = await this.opts.db.send(
      new GetCommand({ TableName: this.opts.table, Key: requestKeys.execution(executionId), ConsistentRead: true }),
    );
    return res.Item ? executionSchema.parse(res.Item) : undefined;
  }

  private async saveCheckpoint(executionId: string, checkpoint: ExecutionItem['checkpoint']): Promise<void> {
    await this.opts.beforeCheckpoint?.(executionId, checkpoint.state);
    await this.opts.db
      .send(
        new UpdateCommand({
          TableName: this.opts.table,
          Key: requestKeys.execution(executionId),
          UpdateExpression: 'SET checkpoint = :c',
          ConditionExpression: '#s = :running',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':c': checkpoint, ':running': 'RUNNING' },
        }),
      )
      .catch((e: unknown) => {
        if (!(e instanceof Error && e.name === 'ConditionalCheckFailedException')) throw e;
      });
  }

  private async finish(executionId: string, status: ExecutionItem['status']): Promise<void> {
    await this.opts.db
      .send(
        new UpdateCommand({
          TableName: this.opts.table,
          Key: requestKeys.execution(executionId),
          UpdateExpression: 'SET #s = :s REMOVE gsi2pk, gsi2sk, waiting, #a',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#s': 'status', '#a': 'answer' },
          ExpressionAttributeValues: { ':s': status },
        }),
      )
      .catch((e: unknown) => {
        if (!(e instanceof Error && e.name === 'ConditionalCheckFailedException')) throw e;
      });
  }
}

/**
 * How long a timed-out handler is waited for before its step sees the timeout anyway: a handler
 * here cannot be killed, and one that never ends must not hold its execution for good.
 */
const TIMED_OUT_HANDLER_GRACE_MS = 5 * 60 * 1000;

/**
 * A plain task's time limit, from when its handler starts; it fails as Step Functions names it.
 * In AWS the function's own timeout is shorter than the state's, so the invocation has ended
 * before the state's Retry runs it again. Here the handler cannot be stopped, so the timeout is
 * reported once it has ended (or after a grace): a retry never runs beside a try still writing,
 * which could send an email or record an answer twice.
 */
export async function withTimeout<T>(work: Promise<T>, seconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timed-out'>((resolve) => {
    timer = setTimeout(() => resolve('timed-out'), seconds * 1000);
  });
  try {
    const first = await Promise.race([work.then((value) => ({ value })), timeout]);
    if (first !== 'timed-out') return first.value;
  } finally {
    clearTimeout(timer);
  }
  let grace: NodeJS.Timeout | undefined;
  await Promise.race([
    work.catch(() => undefined),
    new Promise((r) => {
      grace = setTimeout(r, TIMED_OUT_HANDLER_GRACE_MS);
    }),
  ]);
  clearTimeout(grace);
  throw new CallbackError('States.Timeout', 'the task timed out');
}

const withoutToken = ({ token: _token, ...answer }: z.infer<typeof storedAnswerSchema>): TaskAnswer => answer;

const errorName = (e: unknown): string => {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    return cause instanceof Error ? cause.name : e.name;
  }
  return 'Unknown';
};
