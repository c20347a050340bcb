import { sweepLoans, sweepLoansInput } from '../app/sweep-loans.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';

/** Time kept back for the page under way and its writes when the budget runs out. */
const SAFETY_MS = 15_000;

/**
 * Task of the retention run, inside its Map: one key-range segment of the records table until it
 * ends or its time budget is spent, so every invocation stays well inside a Lambda's limits
 * however large the library's history (R16, R13: held patrons skipped; app/sweep-loans.ts).
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'sweep-loans', sweepLoansInput, (input, context) =>
    sweepLoans(
      deps,
      input,
      Date.now() + Math.max(1000, Math.min(input.budgetSeconds * 1000, context.getRemainingTimeInMillis() - SAFETY_MS)),
    ),
  );

export const handler = lambdaEntry(createHandler);
