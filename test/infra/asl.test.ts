import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { WORKFLOWS } from '../../workflows/index.ts';
import {
  allStates,
  fakeFunctionArn,
  invokedArn,
  placeholdersIn,
  rawDefinition,
  substituted,
  workflowNames,
  type AslState,
} from './asl-helpers.ts';

// aws-local-stepfunctions runs waits and timeouts on Node timers, which fire at once past 2^31 ms.
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** Longest single retry delay: IntervalSeconds × BackoffRate^(MaxAttempts−1), capped by MaxDelaySeconds. */
function longestRetryDelay(state: AslState): number {
  return Math.max(
    0,
    ...(state.Retry ?? []).map((r) => {
      const delay = (r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** Math.max(0, (r.MaxAttempts ?? 3) - 1);
      return r.MaxDelaySeconds === undefined ? delay : Math.min(delay, r.MaxDelaySeconds);
    }),
  );
}

describe.each(workflowNames)('workflow %s (ASL)', (name) => {
  const mapping: Record<string, string> = WORKFLOWS[name].functions;
  const definition = substituted(name, (placeholder) =>
    fakeFunctionArn(mapping[placeholder] ?? `unmapped-${placeholder}`),
  );
  const states = [...allStates(definition)];
  const tasks = states.filter(([, s]) => s.Type === 'Task');

  it('uses exactly the placeholders its WORKFLOWS entry maps', () => {
    expect([...placeholdersIn(rawDefinition(name))].sort()).toEqual(Object.keys(mapping).sort());
  });

  it('passes asl-validator once placeholders are well-formed ARNs', () => {
    const result = aslValidator(definition, { checkArn: true, checkPaths: true });
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('has Task states, each calling one of its mapped functions', () => {
    expect(tasks.length).toBeGreaterThan(0);
    const allowed = new Set(Object.values(mapping).map(fakeFunctionArn));
    for (const [stateName, state] of tasks) {
      expect(allowed.has(invokedArn(state) ?? ''), `${stateName} calls ${state.Resource}`).toBe(true);
    }
  });

  it('sets TimeoutSeconds or TimeoutSecondsPath on every Task (the local engine defaults to 60 s)', () => {
    for (const [stateName, state] of tasks) {
      expect(state.TimeoutSeconds !== undefined || state.TimeoutSecondsPath !== undefined, stateName).toBe(true);
    }
  });

  it('has a Catch on every Task, so no failure leaves a request unseen', () => {
    for (const [stateName, state] of tasks) {
      expect(state.Catch?.length ?? 0, `${stateName} has no Catch`).toBeGreaterThan(0);
    }
  });

  it('keeps every wait, timeout, heartbeat and retry delay under 2^31 ms', () => {
    for (const [stateName, state] of states) {
      for (const [what, seconds] of [
        ['TimeoutSeconds', state.TimeoutSeconds],
        ['HeartbeatSeconds', state.HeartbeatSeconds],
        ['Seconds', state.Seconds],
        ['retry delay', longestRetryDelay(state)],
      ] as const) {
        expect(seconds ?? 0, `${stateName} ${what}`).toBeLessThanOrEqual(MAX_TIMER_SECONDS);
      }
    }
  });

  it('has no Wait on an absolute timestamp, whose length no check can bound', () => {
    for (const [stateName, state] of states) {
      if (state.Type !== 'Wait') continue;
      expect(
        Object.keys(state).filter((k) => k.startsWith('Timestamp')),
        stateName,
      ).toEqual([]);
    }
  });
});

describe('WORKFLOWS map', () => {
  it('names ASL files that exist and parse', () => {
    for (const name of workflowNames) expect(() => JSON.parse(rawDefinition(name)) as unknown, name).not.toThrow();
  });
});
