import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../local/engine.ts';
import { executionOf, expectNoPersonalData } from '../support/executions.ts';
import { ADA, HAROLD, type TestRuntime } from '../support/runtime.ts';

/**
 * R5: the one check the workflow tests use on an execution's history. It must fail when any way of
 * naming a person is there, and when there is no history to look at (a wrong execution id).
 */
const id = executionOf('access', '7d0c1a8e-2f4b-4c55-9a1e-3b7f0e9d2c11');
const runtimeWith = (events: HistoryEvent[]) =>
  ({ engine: { history: (executionId: string) => (executionId === id ? events : []) } }) as unknown as Pick<
    TestRuntime,
    'engine'
  >;
const clean: HistoryEvent[] = [
  { type: 'StateEntered', state: 'MatchPatron', input: { requestId: 'r-1', kind: 'access' } },
  { type: 'StateExited', state: 'MatchPatron', output: { requestId: 'r-1', matched: true } },
];
const carrying = (value: string): HistoryEvent[] => [
  ...clean,
  { type: 'StateExited', state: 'BuildAccessReport', output: { note: value } },
];

describe('expectNoPersonalData (R5)', () => {
  it('R5 passes a history of ids and enums', () => {
    expect(() =>
      expectNoPersonalData(runtimeWith(clean), id, [ADA, HAROLD, 'Blake & Partners'], 'MatchPatron'),
    ).not.toThrow();
  });

  it.each([ADA.cardNumber, ADA.lastName, ADA.firstName, ADA.email, HAROLD.lastName])(
    'R5 fails when the history holds %s',
    (value) => {
      expect(() => expectNoPersonalData(runtimeWith(carrying(value)), id, [ADA, HAROLD])).toThrow();
    },
  );

  it('R5 fails on a value given as is', () => {
    expect(() => expectNoPersonalData(runtimeWith(carrying('Tenancy reference')), id, ['Tenancy'])).toThrow();
  });

  it('R5 fails when there is no history to read, or it never passed the given state', () => {
    expect(() => expectNoPersonalData(runtimeWith(clean), executionOf('export', 'other'), [ADA])).toThrow();
    expect(() => expectNoPersonalData(runtimeWith(clean), id, [ADA], 'BuildExport')).toThrow();
  });
});
