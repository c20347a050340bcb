import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemsFromJson } from '../../functions/domain/systems.ts';
import { depsFromEnv } from '../../functions/lib/deps.ts';
import { buildApp } from '../../infra/build-app.ts';
import { HANDLERS_DIR, REPO_ROOT } from '../../infra/paths.ts';
import { bundleDefines } from '../../infra/privacy-desk-stack.ts';
import { SYSTEMS_JSON_BUDGET } from '../../infra/systems.ts';
import { bundle, layerFilesImported } from '../../scripts/bench-bundles.ts';
import { FUNCTION_ACCESS, FUNCTIONS, type FunctionName } from '../../workflows/index.ts';
import {
  asList,
  logicalId,
  statementsOfRole,
  synthesize,
  SYNTH_TIMEOUT_MS,
  violationsOf,
  type Json,
  type Statement,
  type Synthesized,
} from './synth.ts';

/*
 * R19 in AWS: the `systemsFile` setting reaches the functions that read the library's records as
 * SYSTEMS_JSON, and the Secrets Manager secrets it names are granted to those functions, by name.
 */

const DEMO_SYSTEMS = join(REPO_ROOT, 'local', 'demo-systems.json');
const KOHA_DEMO_SYSTEMS = join(REPO_ROOT, 'local', 'koha-demo-systems.json');
const REACHING = FUNCTIONS.filter((name) => FUNCTION_ACCESS[name].records !== 'none');
const NOT_REACHING = FUNCTIONS.filter((name) => FUNCTION_ACCESS[name].records === 'none');

/** A library with Koha over OAuth2 (secret names with a path, as Secrets Manager allows) and the demo's manual systems. */
const kohaOAuthFile = () => {
  const demo = JSON.parse(readFileSync(DEMO_SYSTEMS, 'utf8')) as { systems: Record<string, unknown>[] };
  return {
    systems: [
      {
        id: 'ils',
        type: 'koha',
        name: 'Koha',
        baseUrl: 'https://koha.library.example/api/v1',
        auth: {
          type: 'oauth2',
          clientIdEnv: 'privacy-desk/koha-client-id',
          clientSecretEnv: 'privacy-desk/koha-secret',
        },
        identity: true,
        categories: ['personal', 'credentials', 'library-records', 'payments'],
      },
      ...demo.systems.filter((s) => s.type === 'manual'),
    ],
  };
};

const tmp = mkdtempSync(join(tmpdir(), 'privacy-desk-systems-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const writeSystems = (name: string, content: unknown): string => {
  const path = join(tmp, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
};

type Resource = { Properties: Record<string, Json> };
const variablesOf = (s: Synthesized, name: FunctionName): Record<string, Json> => {
  const fns = s.template.findResources('AWS::Lambda::Function') as Record<string, Resource>;
  return (fns[logicalId(s.stack.functions[name].fn)]!.Properties.Environment as { Variables: Record<string, Json> })
    .Variables;
};
const secretStatements = (s: Synthesized, name: FunctionName): Statement[] =>
  statementsOfRole(s.template, logicalId(s.stack.functions[name].role)).filter((st) =>
    asList(st.Action).some((a) => a.startsWith('secretsmanager:')),
  );
/** The ARN pattern a secret is granted by, as CloudFormation gets it. */
const secretArn = (name: string) => ({
  'Fn::Join': [
    '',
    // The region is known (us-east-1), and with it the partition.
    ['arn:aws:secretsmanager:us-east-1:', { Ref: 'AWS::AccountId' }, `:secret:${name}-??????`],
  ],
});
const ENV = {
  REQUESTS_TABLE: 'r',
  RECORDS_TABLE: 'rec',
  MAIL_FROM: 'privacy@library.example',
  BASE_URL: 'https://x.example',
};

describe('R19: a systems file naming a Koha (OAuth2) and manual systems (dev, not bundled)', () => {
  let s: Synthesized;
  const file = kohaOAuthFile();

  beforeAll(() => {
    s = synthesize({ systemsFile: writeSystems('koha-oauth.json', file) });
  }, SYNTH_TIMEOUT_MS);
  afterAll(() => s?.cleanup());

  it('R19: every function gets SYSTEMS_JSON (a status page names the systems), which it reads back as the file', () => {
    expect(REACHING.length).toBeGreaterThan(0);
    for (const name of FUNCTIONS) {
      const value = variablesOf(s, name).SYSTEMS_JSON;
      expect(typeof value, name).toBe('string');
      expect(depsFromEnv({ ...ENV, SYSTEMS_JSON: value as string }).systems, name).toEqual(
        systemsFromJson(JSON.stringify(file)),
      );
      // Packed to fit Lambda's 4 KB of environment: the file as JSON would not.
      expect((value as string).length).toBeLessThanOrEqual(SYSTEMS_JSON_BUDGET);
    }
    expect(JSON.stringify(file).length).toBeGreaterThan(SYSTEMS_JSON_BUDGET);
  });

  it('R19: grants secretsmanager:GetSecretValue on exactly the named secrets, by name, to those functions only', () => {
    for (const name of REACHING) {
      const statements = secretStatements(s, name);
      expect(statements, name).toHaveLength(1);
      expect(statements[0]).toMatchObject({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue' });
      expect(statements[0]!.Condition).toBeUndefined();
      expect(asList(statements[0]!.Resource)).toEqual([
        secretArn('privacy-desk/koha-client-id'),
        secretArn('privacy-desk/koha-secret'),
      ]);
    }
    for (const name of NOT_REACHING) expect(secretStatements(s, name), name).toEqual([]);
  });

  it('R19: stays clean under cdk-nag (the secrets are named, no wildcard)', () => {
    expect(violationsOf(s)).toEqual([]);
  });
});

describe('R19: a systems file that names no secret (the demo: records table and manual systems)', () => {
  let s: Synthesized;

  beforeAll(() => {
    s = synthesize({ systemsFile: DEMO_SYSTEMS });
  }, SYNTH_TIMEOUT_MS);
  afterAll(() => s?.cleanup());

  it('R19: sets SYSTEMS_JSON where records are read and grants no secret to any function', () => {
    const demo = systemsFromJson(readFileSync(DEMO_SYSTEMS, 'utf8'));
    for (const name of REACHING)
      expect(depsFromEnv({ ...ENV, SYSTEMS_JSON: variablesOf(s, name).SYSTEMS_JSON as string }).systems).toEqual(demo);
    for (const name of FUNCTIONS) expect(secretStatements(s, name), name).toEqual([]);
    expect(violationsOf(s)).toEqual([]);
  });
});

describe('R19: without a systems file', () => {
  let s: Synthesized;

  beforeAll(() => {
    s = synthesize();
  }, SYNTH_TIMEOUT_MS);
  afterAll(() => s?.cleanup());

  it('R19: sets no SYSTEMS_JSON (the built-in records table alone) and grants no secret', () => {
    for (const name of FUNCTIONS) {
      expect(variablesOf(s, name).SYSTEMS_JSON, name).toBeUndefined();
      expect(secretStatements(s, name), name).toEqual([]);
    }
  });
});

describe('R19: a systems file synth refuses, before building anything', () => {
  const cdkContext = (JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: object }).context;
  /** What buildApp says of the file, as `cdk synth -c systemsFile=<path>` would; 'accepted' when it builds. */
  const refusal = (path: string): string => {
    try {
      buildApp({ context: { ...cdkContext, systemsFile: path, 'aws:cdk:bundling-stacks': [] }, processEnv: {} });
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
    return 'accepted';
  };

  it('R19: names the first bad field, never its value', () => {
    const file = kohaOAuthFile();
    const koha = file.systems[0] as { auth: Record<string, string> };
    koha.auth.clientSecretEnv = 'ada@example.org secret';
    const message = refusal(writeSystems('bad-field.json', file));
    expect(message).toMatch(/systemsFile .*bad-field\.json.* is invalid at systems\.0\.auth\.clientSecretEnv/);
    expect(message).not.toContain('ada@example.org');
  });

  it('R19: refuses a file that is not JSON, a missing file, and one with no identity system', () => {
    expect(refusal(writeSystems('not-json.json', '{"systems": [ada@example.org'))).toMatch(/not valid JSON$/);
    expect(refusal(join(tmp, 'missing.json'))).toMatch(/missing\.json\): cannot be read \(ENOENT\)/);
    const file = kohaOAuthFile();
    (file.systems[0] as { identity: boolean }).identity = false;
    expect(refusal(writeSystems('no-identity.json', file))).toMatch(/no system is marked identity: true/);
  });

  it("R19: refuses a file too large for a function's environment, saying what to shorten", () => {
    const file = kohaOAuthFile();
    // Random text does not compress: three such instructions exceed the budget once packed.
    for (const system of file.systems)
      if (system.type === 'manual') system.instructions = { access: randomBytes(1400).toString('base64') };
    expect(refusal(writeSystems('large.json', file))).toMatch(/more than the 2048 it may use .*shorten/);
  });

  it('R19: accepts the demo files npm start uses (local/demo-systems.json, local/koha-demo-systems.json)', () => {
    expect(refusal(DEMO_SYSTEMS)).toBe('accepted');
    expect(refusal(KOHA_DEMO_SYSTEMS)).toBe('accepted');
  });
});

describe('R19: bundles import the Secrets Manager client only where a secret is granted', () => {
  /** The SDK layer files one handler imports, bundled as service-function.ts bundles it, with the given build-time flags. */
  const layerFiles = async (name: FunctionName, secrets: boolean): Promise<string[]> => {
    const entry = join(HANDLERS_DIR, `${name}.ts`);
    const { metafile } = await bundle(entry, bundleDefines(FUNCTION_ACCESS[name], secrets, entry));
    return layerFilesImported(metafile);
  };

  it(
    'R19: a function granted secrets imports the Secrets Manager client from the SDK layer; the same function granted none does not',
    async () => {
      const name = REACHING[0]!;
      expect(await layerFiles(name, true)).toContain('client-secrets-manager.mjs');
      expect(await layerFiles(name, false)).not.toContain('client-secrets-manager.mjs');
    },
    SYNTH_TIMEOUT_MS,
  );
});
