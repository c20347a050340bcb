export { KohaConnector, type KohaConnectorOptions } from './connector.ts';
export { kohaSettings, kohaSystemSchema, type KohaSettings, type KohaSystem } from './settings.ts';
