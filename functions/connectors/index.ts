import { ConnectorError } from '../domain/errors.ts';
import type { SystemConfig } from '../domain/systems.ts';
import { KohaConnector, kohaSettings, type KohaConnectorOptions } from './koha/index.ts';
import type { SystemConnector } from './port.ts';
import { RecordsTableConnector, type RecordsTableConnectorDeps } from './records-table/connector.ts';

/** What building any connector may need; each kind takes its part. */
export interface ConnectorDeps {
  /** The records table, the legal holds, the policy and the clock (records-table). */
  recordsTable: RecordsTableConnectorDeps;
  /** Where a systems file's named secrets are read (koha: `clientIdEnv`, `passwordEnv`, …). */
  env: NodeJS.ProcessEnv;
  /** Koha's transport options (tests pass the simulator's clock). */
  koha?: KohaConnectorOptions;
}

/** A system reached through an API connector; the rest of the systems file is `manual`. */
export type ConnectedSystem = Exclude<SystemConfig, { type: 'manual' }>;

/**
 * R19: a `manual` system has no API: it is a task to the staff of its role (instruction, `done`
 * and `could-not` links, reminders), which the workflow issues itself. So it has no connector.
 */
export const hasConnector = (system: SystemConfig): system is ConnectedSystem => system.type !== 'manual';

/**
 * The connector for one entry of the systems file (R19). A `manual` system is refused with a
 * `ConnectorError` (`unsupported`): callers branch on `hasConnector` first.
 */
export function connectorFor(system: SystemConfig, deps: ConnectorDeps): SystemConnector {
  switch (system.type) {
    case 'records-table':
      return new RecordsTableConnector(deps.recordsTable, { systemId: system.id, categories: system.categories });
    case 'koha':
      return new KohaConnector(kohaSettings(system, deps.env), deps.koha);
    case 'manual':
      throw new ConnectorError(`system ${system.id} is manual: a staff task, not a connector`, 'unsupported');
  }
}
