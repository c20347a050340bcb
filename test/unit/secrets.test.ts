import {
  GetSecretValueCommand,
  InternalServiceError,
  ResourceNotFoundException,
  SecretsManagerServiceException,
  type GetSecretValueCommandOutput,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { fetchSystemSecrets, type SendGetSecretValue } from '../../functions/adapters/secrets.ts';
import { IntegrityError, TransientError } from '../../functions/domain/errors.ts';
import { parseSystemsFile, RECORDS_TABLE_ONLY, type SystemsFile } from '../../functions/domain/systems.ts';
import { connectorFor } from '../../functions/connectors/index.ts';
import type { RecordsTableConnectorDeps } from '../../functions/connectors/records-table/connector.ts';
import { depsAtColdStart, lambdaEntry, type Deps } from '../../functions/lib/deps.ts';
import { systemSecretNames } from '../../functions/domain/systems.ts';
import { systemsJsonText, systemsJsonValue } from '../../functions/lib/env.ts';
import type { Context } from 'aws-lambda';

/*
 * R19: in AWS a systems file's credential names are Secrets Manager secrets, fetched at cold start.
 * Only the Secrets Manager call is stood in for, answering as the SDK does: an output with
 * SecretString, or the SDK's own exception classes (`$fault`, `$metadata`).
 */

const KOHA = {
  type: 'koha',
  name: 'Koha',
  baseUrl: 'https://koha.library.example/api/v1',
  identity: true,
  categories: ['personal', 'library-records'],
} as const;

const file: SystemsFile = parseSystemsFile({
  systems: [
    { ...KOHA, id: 'ils', auth: { type: 'basic', userEnv: 'pd/koha-user', passwordEnv: 'pd/koha-password' } },
    // A second Koha sharing one secret: fetched once.
    {
      ...KOHA,
      id: 'branch-ils',
      identity: false,
      auth: { type: 'oauth2', clientIdEnv: 'pd/branch-client', clientSecretEnv: 'pd/koha-password' },
    },
    {
      id: 'ebooks',
      type: 'manual',
      name: 'E-books',
      role: 'circulation',
      categories: ['library-records'],
      instructions: { deletion: 'Delete the account.' },
    },
  ],
});

const VALUES: Record<string, string> = {
  'pd/koha-user': 'privacydesk',
  'pd/koha-password': 'correct horse battery staple',
  'pd/branch-client': 'branch-client-id',
};

const metadata = { httpStatusCode: 200, requestId: 'req-1', attempts: 1, totalRetryDelay: 0 };

/** Secrets Manager as the SDK's `send` answers GetSecretValue; records every SecretId asked for. */
function secretsManager(answer: (id: string) => GetSecretValueCommandOutput | Error) {
  const asked: string[] = [];
  const send: SendGetSecretValue = (command: GetSecretValueCommand) => {
    expect(command).toBeInstanceOf(GetSecretValueCommand);
    const id = command.input.SecretId ?? '';
    asked.push(id);
    const a = answer(id);
    return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
  };
  return { send, asked };
}

const found = (id: string): GetSecretValueCommandOutput => ({
  $metadata: metadata,
  ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${id}-AbCdEf`,
  Name: id,
  VersionId: '6f1e3c2a-0000-4000-8000-000000000000',
  SecretString: VALUES[id],
  VersionStages: ['AWSCURRENT'],
  CreatedDate: new Date('2026-01-01T00:00:00Z'),
});

const notFound = () =>
  new ResourceNotFoundException({
    message: "Secrets Manager can't find the specified secret.",
    $metadata: { ...metadata, httpStatusCode: 400 },
  });

describe('R19: secrets the systems file names, from Secrets Manager (functions/adapters/secrets.ts)', () => {
  it('R19: fetches each named secret once and returns name → value, which the Koha connector reads', async () => {
    const sm = secretsManager(found);
    const secrets = await fetchSystemSecrets(file, sm.send);
    expect(secrets).toEqual(VALUES);
    expect(sm.asked.sort()).toEqual(['pd/branch-client', 'pd/koha-password', 'pd/koha-user']);
    // The record stands where `npm start` passes process.env: the connector builds from it.
    const recordsTable = {} as RecordsTableConnectorDeps;
    expect(() => connectorFor(file.systems[0]!, { recordsTable, env: secrets })).not.toThrow();
    expect(() => connectorFor(file.systems[0]!, { recordsTable, env: {} })).toThrow(/pd\/koha-user is not set/);
  });

  it('R19: asks nothing when the file names no secret (records table and manual systems only)', async () => {
    const sm = secretsManager(() => {
      throw new Error('not called');
    });
    expect(await fetchSystemSecrets(RECORDS_TABLE_ONLY, sm.send)).toEqual({});
    expect(sm.asked).toEqual([]);
  });

  it('R19 R5: a missing secret is a permanent error naming the secret and the reason, never a value', async () => {
    const sm = secretsManager((id) => (id === 'pd/koha-password' ? notFound() : found(id)));
    const error = await fetchSystemSecrets(file, sm.send).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntegrityError);
    expect((error as Error).message).toBe(
      'Secrets Manager GetSecretValue pd/koha-password refused: ResourceNotFoundException',
    );
    expect((error as Error).message).not.toContain('privacydesk');
  });

  it.each([
    [
      'throttled',
      () =>
        new SecretsManagerServiceException({
          name: 'ThrottlingException',
          $fault: 'client',
          message: 'Rate exceeded',
          $metadata: { ...metadata, httpStatusCode: 400 },
        }),
    ],
    [
      "Secrets Manager's own fault",
      () =>
        new InternalServiceError({
          message: 'An error occurred on the server side.',
          $metadata: { ...metadata, httpStatusCode: 500 },
        }),
    ],
    ['a dropped connection', () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
  ])('R19: %s is a TransientError, which the Task states retry', async (_what, fault) => {
    const sm = secretsManager((id) => (id === 'pd/koha-user' ? fault() : found(id)));
    const error = await fetchSystemSecrets(file, sm.send).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).name).toBe('TransientError');
    expect((error as Error).message).toMatch(/^Secrets Manager GetSecretValue pd\/koha-user failed: /);
  });

  it('R19: a secret stored as binary (no SecretString) is refused, naming it', async () => {
    const sm = secretsManager((id) => {
      const { SecretString: _text, ...rest } = found(id);
      return { ...rest, SecretBinary: new Uint8Array([1, 2, 3]) };
    });
    await expect(fetchSystemSecrets(file, sm.send)).rejects.toThrow(/secret pd\/[a-z-]+ holds no text value/);
  });
});

describe('R19: SYSTEMS_JSON and the names a systems file gives (functions/lib/env.ts)', () => {
  it('R19: lists the credential names of every Koha, each once, sorted', () => {
    expect(systemSecretNames(file)).toEqual(['pd/branch-client', 'pd/koha-password', 'pd/koha-user']);
    expect(systemSecretNames(RECORDS_TABLE_ONLY)).toEqual([]);
  });

  it('R19: packs the file for the environment and reads it back; plain JSON is read as it is', () => {
    const text = JSON.stringify(file, null, 2);
    const packed = systemsJsonValue(text);
    expect(packed).toMatch(/^br64:[A-Za-z0-9+/=]+$/);
    expect(packed.length).toBeLessThan(text.length);
    expect(JSON.parse(systemsJsonText(packed))).toEqual(file);
    expect(systemsJsonText(text)).toBe(text);
    expect(() => systemsJsonText('br64:not brotli')).toThrow('SYSTEMS_JSON is not a packed systems file');
  });
});

describe('R19: a function at cold start (functions/lib/deps.ts)', () => {
  const ENV = {
    REQUESTS_TABLE: 'requests',
    RECORDS_TABLE: 'records',
    MAIL_FROM: 'privacy@library.example',
    BASE_URL: 'https://privacy.library.example',
    SYSTEMS_JSON: systemsJsonValue(JSON.stringify(file)),
  };

  it('R19: reads the packed systems file and the secrets it names, where the connectors look for them', async () => {
    const sm = secretsManager(found);
    const deps = await depsAtColdStart(ENV, sm.send);
    expect(deps.systems).toEqual(file);
    expect(deps.systemSecrets).toEqual(VALUES);
    expect(sm.asked).toHaveLength(3);
  });

  it('R19: a cold start that failed (Secrets Manager throttled) is tried again by the next invocation, then kept', async () => {
    let starts = 0;
    const coldStart = async (): Promise<Deps> => {
      starts++;
      if (starts === 1)
        throw new TransientError('Secrets Manager GetSecretValue pd/koha-user failed: ThrottlingException');
      return depsAtColdStart(ENV, secretsManager(found).send);
    };
    const handler = lambdaEntry(
      (deps: Deps) => async (event: { n: number }) => `${deps.systemSecrets['pd/koha-user']} ${event.n}`,
      coldStart,
    );
    const context = {} as Context;
    await expect(handler({ n: 1 }, context)).rejects.toBeInstanceOf(TransientError);
    expect(await handler({ n: 2 }, context)).toBe('privacydesk 2');
    expect(await handler({ n: 3 }, context)).toBe('privacydesk 3');
    expect(starts).toBe(2);
  });
});
