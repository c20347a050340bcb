import type { DeletionFacts } from '../../domain/deletion-plan.ts';
import type { DeletionBlocker } from '../port.ts';

/**
 * R8, R13: what stops the erasure of the person, from the facts a plan is built from. A legal hold
 * is the port's neutral `hold`, with no count and no word of an order, so a hold whose order
 * forbids notice reads like any other blocker (R13a).
 */
export function blockersOf(facts: DeletionFacts): DeletionBlocker[] {
  const blockers: DeletionBlocker[] = [];
  if (facts.openLoans > 0) blockers.push({ kind: 'on-loan', count: facts.openLoans });
  if (facts.outstandingFines > 0 || facts.outstandingBalance > 0)
    blockers.push({ kind: 'money-owed', amount: facts.outstandingBalance });
  if (facts.guaranteesMinor) blockers.push({ kind: 'guarantor' });
  if (facts.legalHold.active) blockers.push({ kind: 'hold' });
  return blockers;
}
