import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { systemsFromJson, type SystemsFile } from '../functions/domain/systems.ts';
import { systemSecretNames } from '../functions/domain/systems.ts';
import { systemsJsonValue } from '../functions/lib/env.ts';

/**
 * What SYSTEMS_JSON may take of a function's environment: Lambda allows 4 KB for all variables
 * together, and the tables, buckets, keys and state machine ARNs take up to about half of it.
 */
export const SYSTEMS_JSON_BUDGET = 2048;

/** R19: the deployment's systems file, as the functions get it. */
export interface DeployedSystems {
  file: SystemsFile;
  /** SYSTEMS_JSON (functions/lib/env.ts). */
  value: string;
  /** Secrets Manager secret names the file gives for its systems' credentials. */
  secretNames: string[];
}

/**
 * Reads and validates the `systemsFile` setting at synth, so a bad file fails `cdk synth` naming its
 * first bad field (never a value) instead of failing every function at cold start.
 */
export function readDeployedSystems(path: string): DeployedSystems {
  const where = `context systemsFile (${path})`;
  let text: string;
  try {
    text = readFileSync(resolve(path), 'utf8');
  } catch (e) {
    throw new Error(`${where}: cannot be read (${e instanceof Error && 'code' in e ? String(e.code) : 'error'})`, {
      cause: e,
    });
  }
  let file: SystemsFile;
  try {
    file = systemsFromJson(text);
  } catch (e) {
    // The parser's message names the first bad field and never a value (R5).
    throw new Error(`${where}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const value = systemsJsonValue(text);
  if (value.length > SYSTEMS_JSON_BUDGET)
    throw new Error(
      `${where}: takes ${value.length} bytes of a function's environment once packed, more than the ${SYSTEMS_JSON_BUDGET} it may use (Lambda allows 4 KB for all variables): shorten the manual systems' instructions`,
    );
  return { file, value, secretNames: systemSecretNames(file) };
}
