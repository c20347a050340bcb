import { askRetentionStaff, retentionStaffTasksInput } from '../app/retention-staff-tasks.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';

/**
 * Task of the retention run. R16, R19: each system without an API that holds a category with a
 * period gets its staff's retention task, once per `retention.staffTaskEveryDays` (app/retention-staff-tasks.ts).
 * Returns ids, enums and period numbers only (R5).
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'retention-staff-tasks', retentionStaffTasksInput, (input) => askRetentionStaff(deps, input));

export const handler = lambdaEntry(createHandler);
