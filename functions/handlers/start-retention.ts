import { startRetentionInput, startRetentionRun } from '../app/retention-run.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { scheduledHandler } from '../lib/handler.ts';
import { validate } from '../lib/http.ts';

/**
 * Scheduled daily (EventBridge in AWS, a timer locally). R16: starts the day's retention run
 * (app/retention-run.ts), one per library day. The input is ids, counts and a date (R5).
 */
export const createHandler = (deps: Deps) =>
  scheduledHandler(deps, async (event) =>
    startRetentionRun(deps, validate(startRetentionInput, event ?? {}, 'start-retention input')),
  );

export const handler = lambdaEntry(createHandler);
