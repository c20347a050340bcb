import { transientErrors } from './aws-errors.ts';
import {
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  type SFNClientConfig,
} from '@aws-sdk/client-sfn';
import * as z from '../domain/zod.ts';
import type { WorkflowName } from '../../workflows/index.ts';

/**
 * What handlers may ask of the workflow engine. Step Functions in AWS; the local engine here.
 * Handlers never know which one runs them.
 */
export interface WorkflowPort {
  /**
   * Starts `workflow` with an ids-only input (R5). `name` makes a retried start idempotent: an
   * execution of that name already there is the one started (`started: false`), never a second.
   */
  start(workflow: WorkflowName, name: string, input: Record<string, unknown>): Promise<WorkflowStart>;
  /** The id of the execution of `workflow` named `name`, whether or not it was started: names are unique per workflow. */
  executionIdOf(workflow: WorkflowName, name: string): string;
  stop(executionId: string, reason: string): Promise<void>;
  sendTaskSuccess(taskToken: string, output: Record<string, unknown>): Promise<void>;
  sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void>;
}

export interface WorkflowStart {
  executionId: string;
  /** False when an execution of that name already existed (a retried start, or the sweep of unstarted requests). */
  started: boolean;
}

/**
 * How far before the call a new execution's start date may be: Step Functions' clock and ours
 * differ by milliseconds; an execution the same call found already running started minutes before.
 */
const CLOCK_SLACK_MS = 5_000;

export class StepFunctionsWorkflow implements WorkflowPort {
  private readonly sfn: SFNClient;
  private readonly arns: Record<string, string>;

  /** `client`: tests point the SDK at a stand-in endpoint; in AWS it takes the function's own settings. */
  constructor(stateMachinesJson: string, client: SFNClientConfig = {}) {
    this.arns = z.record(z.string(), z.string()).parse(JSON.parse(stateMachinesJson));
    this.sfn = new SFNClient(client);
    // Throttling and faults reach the workflow as TransientError; a gone callback keeps its own name (isCallbackGone).
    this.sfn.middlewareStack.use(transientErrors('Step Functions'));
  }

  async start(workflow: WorkflowName, name: string, input: Record<string, unknown>): Promise<WorkflowStart> {
    const stateMachineArn = this.arnOf(workflow);
    const calledAt = Date.now();
    try {
      const res = await this.sfn.send(
        new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
      );
      // A Standard workflow answers a start of a running execution with the same name and input as
      // it answered the first: the same ARN and the first start's date.
      const started = res.startDate === undefined || res.startDate.getTime() >= calledAt - CLOCK_SLACK_MS;
      return { executionId: res.executionArn ?? this.executionIdOf(workflow, name), started };
    } catch (e) {
      // The name was used (an execution that ended, or another input): that execution is this one.
      if (e instanceof Error && e.name === 'ExecutionAlreadyExists')
        return { executionId: this.executionIdOf(workflow, name), started: false };
      throw e;
    }
  }

  executionIdOf(workflow: WorkflowName, name: string): string {
    return `${this.arnOf(workflow).replace(':stateMachine:', ':execution:')}:${name}`;
  }

  private arnOf(workflow: WorkflowName): string {
    const arn = this.arns[workflow];
    if (!arn) throw new Error(`no state machine configured for ${workflow}`);
    return arn;
  }

  async stop(executionId: string, reason: string) {
    await this.sfn.send(new StopExecutionCommand({ executionArn: executionId, error: 'Cancelled', cause: reason }));
  }

  async sendTaskSuccess(taskToken: string, output: Record<string, unknown>) {
    await this.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
  }

  async sendTaskFailure(taskToken: string, error: string, cause: string) {
    await this.sfn.send(new SendTaskFailureCommand({ taskToken, error, cause }));
  }
}

/** Step Functions' answers when a callback token no longer waits: the step timed out, moved on or never was. */
const CALLBACK_GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);
export const isCallbackGone = (e: unknown): boolean => e instanceof Error && CALLBACK_GONE.has(e.name);
