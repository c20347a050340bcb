import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKFLOWS, type WorkflowName } from '../../workflows/index.ts';
import { WORKFLOWS_DIR } from '../../infra/paths.ts';

/** The part of an ASL state the checks read. */
export interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  HeartbeatSeconds?: number;
  Seconds?: number;
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Retry?: {
    ErrorEquals: string[];
    IntervalSeconds?: number;
    BackoffRate?: number;
    MaxAttempts?: number;
    MaxDelaySeconds?: number;
  }[];
  Branches?: AslMachine[];
  Iterator?: AslMachine;
  ItemProcessor?: AslMachine;
}

export interface AslMachine {
  StartAt: string;
  States: Record<string, AslState>;
}

export const workflowNames = Object.keys(WORKFLOWS) as WorkflowName[];

export const rawDefinition = (name: WorkflowName): string =>
  readFileSync(join(WORKFLOWS_DIR, WORKFLOWS[name].file), 'utf8');

/** Every `${Name}` in a definition's text. */
export const placeholdersIn = (text: string): Set<string> =>
  new Set([...text.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1] ?? ''));

/** The fake but well-formed ARN the local runtime also uses for a function. */
export const fakeFunctionArn = (fn: string): string =>
  `arn:aws:lambda:us-east-1:123456789012:function:privacy-desk-${fn}`;

/** The definition with each placeholder replaced, as the engines see it. */
export function substituted(name: WorkflowName, valueFor: (placeholder: string) => string): AslMachine {
  const text = rawDefinition(name).replace(/\$\{([^}]*)\}/g, (_m, placeholder: string) => valueFor(placeholder));
  return JSON.parse(text) as AslMachine;
}

/** Every state, nested ones (Parallel branches, Map processors) included. */
export function* allStates(machine: AslMachine, prefix = ''): Generator<[string, AslState]> {
  for (const [name, state] of Object.entries(machine.States)) {
    yield [`${prefix}${name}`, state];
    for (const branch of state.Branches ?? []) yield* allStates(branch, `${prefix}${name}/`);
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner) yield* allStates(inner, `${prefix}${name}/`);
  }
}

export const LAMBDA_INVOKE = /^arn:aws:states:::lambda:invoke(\.waitForTaskToken)?$/;

/** The function ARN a Lambda Task calls: its Resource, or Parameters.FunctionName for lambda:invoke. */
export function invokedArn(state: AslState): string | undefined {
  if (state.Type !== 'Task' || !state.Resource) return undefined;
  if (LAMBDA_INVOKE.test(state.Resource)) {
    const fn = state.Parameters?.FunctionName;
    return typeof fn === 'string' ? fn : undefined;
  }
  return state.Resource;
}
