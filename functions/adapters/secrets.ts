import {
  GetSecretValueCommand,
  SecretsManagerClient,
  type GetSecretValueCommandOutput,
} from '@aws-sdk/client-secrets-manager';
import { systemSecretNames, type SystemsFile } from '../domain/systems.ts';
import { IntegrityError, TransientError } from '../domain/errors.ts';
import { isTransientAwsError } from './aws-errors.ts';

/** How a secret is fetched: the SDK client's `send`, or a stand-in with its shape in tests. */
export type SendGetSecretValue = (command: GetSecretValueCommand) => Promise<GetSecretValueCommandOutput>;

let defaultClient: SecretsManagerClient | undefined;
const defaultSend: SendGetSecretValue = (command) =>
  (defaultClient ??= new SecretsManagerClient({ region: process.env.AWS_REGION ?? 'us-east-1' })).send(command);

/**
 * R19: in AWS the names in the systems file (Koha's `clientIdEnv`, `passwordEnv`, …) are Secrets
 * Manager secret names. A function fetches each once, at cold start, and its connectors read the
 * result where `npm start` gives them `process.env`: a record from name to value.
 *
 * Each secret's whole `SecretString` is the value (store it as plain text, not as key/value JSON).
 * Errors name the secret and Secrets Manager's reason, never a value (R5); throttling and AWS's own
 * faults are a `TransientError`, which every Task state retries.
 */
export async function fetchSystemSecrets(
  file: SystemsFile,
  send: SendGetSecretValue = defaultSend,
): Promise<Record<string, string>> {
  const names = systemSecretNames(file);
  const values = await Promise.all(names.map((name) => fetchOne(name, send)));
  return Object.fromEntries(names.map((name, i) => [name, values[i] as string]));
}

async function fetchOne(name: string, send: SendGetSecretValue): Promise<string> {
  let answer: GetSecretValueCommandOutput;
  try {
    answer = await send(new GetSecretValueCommand({ SecretId: name }));
  } catch (e) {
    const reason = e instanceof Error ? e.name : 'unknown';
    if (isTransientAwsError(e) || e instanceof TransientError)
      throw new TransientError(`Secrets Manager GetSecretValue ${name} failed: ${reason}`);
    throw new IntegrityError(`Secrets Manager GetSecretValue ${name} refused: ${reason}`);
  }
  if (!answer.SecretString) throw new IntegrityError(`secret ${name} holds no text value (SecretString)`);
  return answer.SecretString;
}
