export { KohaSimulator, startKohaSimulator, type Fault, type FaultScope, type KohaSimulatorOptions } from './server.ts';
export { KohaData } from './data.ts';
export { kohaSpecAvailable, kohaSpecDir, loadKohaSpec, type KohaSpec } from './spec.ts';
export { SpecValidator } from './validator.ts';
