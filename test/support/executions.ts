import { expect } from 'vitest';
import type { WorkflowName } from '../../workflows/index.ts';
import type { TestRuntime } from './runtime.ts';

/** The local engine's execution id for a request's workflow (one execution per request, named by its id). */
export const executionOf = (workflow: WorkflowName, requestId: string) => `local:${workflow}:${requestId}`;

/** Someone a request names, by everything they could be known by. */
export interface Named {
  cardNumber: string;
  lastName: string;
  firstName?: string;
  email?: string;
}

/**
 * R5: nothing a workflow carries may name anyone. Reads the execution's whole history (every
 * state's input and output), checks it is really there (more than a few bytes, and through
 * `passedState` where given), then that no card number, name or email of `named` (or any string
 * given as is) appears in it.
 */
export function expectNoPersonalData(
  rt: Pick<TestRuntime, 'engine'>,
  executionId: string,
  named: readonly (Named | string)[],
  passedState?: string,
): void {
  const history = JSON.stringify(rt.engine.history(executionId));
  expect(history.length).toBeGreaterThan(100);
  if (passedState !== undefined) expect(history).toContain(passedState);
  const values = named.flatMap((n) =>
    typeof n === 'string'
      ? [n]
      : [n.cardNumber, n.lastName, n.email, n.firstName].filter((v): v is string => Boolean(v)),
  );
  for (const value of values) expect(history).not.toContain(value);
}
