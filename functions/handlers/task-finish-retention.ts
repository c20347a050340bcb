import { finishRetentionInput, finishRetentionRun } from '../app/finish-retention.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';

/**
 * Task of the retention run, last. R16: releases the run's anonymisation secret once every
 * segment finished (app/finish-retention.ts). Returns the run's totals: counts only (R5).
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'finish-retention', finishRetentionInput, (input) => finishRetentionRun(deps, input));

export const handler = lambdaEntry(createHandler);
