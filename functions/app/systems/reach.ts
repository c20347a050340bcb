import type { PatronRef, SystemConnector } from '../../connectors/port.ts';
import type { RequestRecord } from '../../domain/request.ts';
import type { SystemResult } from '../../domain/system-result.ts';
import type { SystemConfig } from '../../domain/systems.ts';
import type { Deps } from '../../lib/deps.ts';

/** R19: what one request's work in one system answers, before it is stored as the system's result. */
export type Outcome = Partial<Pick<SystemResult, 'counts' | 'blockers' | 'pendingCleanup' | 'retained' | 'reason'>> & {
  state: 'done' | 'not-held' | 'blocked' | 'could-not';
};

/** One request, one system reached through its connector, and the person's id there. */
export interface Reach {
  deps: Deps;
  request: RequestRecord;
  system: SystemConfig;
  connector: SystemConnector;
  ref: PatronRef;
}
