import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildLayer, bundle } from '../../scripts/bench-bundles.ts';

/** An SDK client, imported from the SDK layer as the stack bundles a function, asked for the credentials it would sign with. */
const ENTRY = `
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
export const credentials = () => new DynamoDBClient({ region: 'us-east-1' }).config.credentials();
`;

const CREDENTIAL_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_CONFIG_FILE',
  'AWS_PROFILE',
] as const;

describe('Lambda bundles sign with the credentials Lambda puts in the environment', () => {
  let dir: string;
  let credentials: () => Promise<Record<string, unknown>>;
  const saved = Object.fromEntries(CREDENTIAL_VARIABLES.map((k) => [k, process.env[k]]));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pd-env-credentials-'));
    // The SDK from the layer, as the stack builds it (the alias applies there), at a temporary path.
    const { mount } = buildLayer(join(dir, 'layer'));
    const file = join(dir, 'index.mjs');
    await bundle({ source: ENTRY }, {}, file, 'layer', mount);
    ({ credentials } = (await import(pathToFileURL(file).href)) as { credentials: typeof credentials });
  }, 120_000);

  afterEach(() => {
    for (const k of CREDENTIAL_VARIABLES) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("reads the function role's key, secret and session token from the environment", async () => {
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'AKIDLAMBDAROLE',
      AWS_SECRET_ACCESS_KEY: 'role-secret',
      AWS_SESSION_TOKEN: 'role-session',
    });
    await expect(credentials()).resolves.toMatchObject({
      accessKeyId: 'AKIDLAMBDAROLE',
      secretAccessKey: 'role-secret',
      sessionToken: 'role-session',
    });
  });

  it('without them, fails with an error named CredentialsProviderError and asks no other source (a credentials file here)', async () => {
    for (const k of CREDENTIAL_VARIABLES) delete process.env[k];
    const file = join(dir, 'credentials');
    await writeFile(file, '[default]\naws_access_key_id = AKIDFROMFILE\naws_secret_access_key = file-secret\n');
    process.env.AWS_SHARED_CREDENTIALS_FILE = file;
    process.env.AWS_CONFIG_FILE = join(dir, 'no-config');
    await expect(credentials()).rejects.toMatchObject({ name: 'CredentialsProviderError' });
  });
});
