import { describe, expect, it } from 'vitest';
import { RETRY_EXCEPTIONS, TASK_RETRY, WORKFLOWS } from '../../workflows/index.ts';
import { allStates, rawDefinition, workflowNames, type AslMachine } from './asl-helpers.ts';

/**
 * One Retry for every Task state (ARCHITECTURE.md, Faults): each ASL file writes out TASK_RETRY,
 * except the states RETRY_EXCEPTIONS lists with their own Retry and a reason.
 */
const tasks = workflowNames.flatMap((name) => {
  const file = WORKFLOWS[name].file;
  const machine = JSON.parse(rawDefinition(name)) as AslMachine;
  return [...allStates(machine)]
    .filter(([, state]) => state.Type === 'Task')
    .map(([path, state]) => ({ key: `${file}:${path.split('/').at(-1) ?? path}`, retry: state.Retry ?? null }));
});

describe('Task retries', () => {
  it('finds the Task states of every workflow, each under its own file:state key', () => {
    expect(tasks.length).toBeGreaterThan(70);
    expect(new Set(tasks.map((t) => t.key)).size).toBe(tasks.length);
  });

  it.each(tasks)('$key retries as TASK_RETRY, or as its listed exception', ({ key, retry }) => {
    const exception = RETRY_EXCEPTIONS[key];
    // A Task with no Retry at all fails here too (null is not TASK_RETRY) unless it is listed so.
    expect(retry, `${key}: Retry differs from TASK_RETRY; make it the same, or list it with a reason`).toEqual(
      exception ? exception.retry : TASK_RETRY,
    );
  });

  it('lists each exception for a Task state that exists, with a reason, and only where it differs', () => {
    const keys = new Set(tasks.map((t) => t.key));
    for (const [key, { retry, reason }] of Object.entries(RETRY_EXCEPTIONS)) {
      expect(keys.has(key), `${key} is not a Task state`).toBe(true);
      expect(reason.length, `${key} has no reason`).toBeGreaterThan(20);
      expect(retry, `${key} is the standard retry, so it is no exception`).not.toEqual(TASK_RETRY);
    }
  });

  it('tries a step often enough that a call failing past the SDK retries now and then does not fail the request (the chaos run)', () => {
    // Six retries: a try of a step of 30 calls, 2% of them failing hard, fails 45% of the time; seven in a row 0.4%.
    expect(TASK_RETRY[0]?.MaxAttempts).toBeGreaterThanOrEqual(6);
    // The failure path more often than any step: a failed request must not go unseen.
    for (const [key, { retry }] of Object.entries(RETRY_EXCEPTIONS))
      if (key.endsWith(':RecordFailure'))
        expect(retry?.[0]?.MaxAttempts, key).toBeGreaterThan(TASK_RETRY[0]?.MaxAttempts ?? 0);
  });

  it('retries a TransientError in the standard definition, with backoff', () => {
    expect(TASK_RETRY).toHaveLength(1);
    expect(TASK_RETRY[0]?.ErrorEquals).toContain('TransientError');
    expect(TASK_RETRY[0]?.ErrorEquals).not.toContain('States.ALL');
    expect(TASK_RETRY[0]?.BackoffRate).toBeGreaterThan(1);
  });
});
