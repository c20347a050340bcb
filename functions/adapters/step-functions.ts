import { transientErrors } from './aws-errors.ts';
import {
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import * as z from '../domain/zod.ts';
import type { WorkflowName } from '../../workflows/index.ts';

/**
 * What handlers may ask of the workflow engine. Step Functions in AWS; the local engine here.
 * Handlers never know which one runs them.
 */
export interface WorkflowPort {
  /** Starts `workflow` with an ids-only input (R5); `name` makes a retried start idempotent. */
  start(workflow: WorkflowName, name: string, input: Record<string, unknown>): Promise<{ executionId: string }>;
  stop(executionId: string, reason: string): Promise<void>;
  sendTaskSuccess(taskToken: string, output: Record<string, unknown>): Promise<void>;
  sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void>;
}

export class StepFunctionsWorkflow implements WorkflowPort {
  private readonly sfn = new SFNClient({});
  private readonly arns: Record<string, string>;

  constructor(stateMachinesJson: string) {
    this.arns = z.record(z.string(), z.string()).parse(JSON.parse(stateMachinesJson));
    // Throttling and faults reach the workflow as TransientError; a gone callback keeps its own name (isCallbackGone).
    this.sfn.middlewareStack.use(transientErrors('Step Functions'));
  }

  async start(workflow: WorkflowName, name: string, input: Record<string, unknown>) {
    const arn = this.arns[workflow];
    if (!arn) throw new Error(`no state machine configured for ${workflow}`);
    try {
      const res = await this.sfn.send(
        new StartExecutionCommand({ stateMachineArn: arn, name, input: JSON.stringify(input) }),
      );
      return { executionId: res.executionArn ?? name };
    } catch (e) {
      // Same name and input: the execution already started (a retried call). Its ARN is derivable.
      if (e instanceof Error && e.name === 'ExecutionAlreadyExists')
        return { executionId: `${arn.replace(':stateMachine:', ':execution:')}:${name}` };
      throw e;
    }
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
