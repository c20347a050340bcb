import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../functions/domain/errors.ts';
import { RECORDS_TABLE_ONLY } from '../../functions/domain/systems.ts';
import { depsFromEnv } from '../../functions/lib/deps.ts';
import { readSystemsFile } from '../../local/systems-file.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

const DEMO_SYSTEMS = fileURLToPath(new URL('../../local/demo-systems.json', import.meta.url));
const ENV = {
  REQUESTS_TABLE: 'requests',
  RECORDS_TABLE: 'records',
  MAIL_FROM: 'privacy@library.example',
  BASE_URL: 'https://privacy.library.example',
};

const refusal = async (p: Promise<unknown>): Promise<Error> => {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(InvalidInputError);
  return e as Error;
};

describe('DSR_SYSTEMS: the systems file the runtime starts with (R19)', () => {
  const runtimes: TestRuntime[] = [];
  afterAll(async () => {
    for (const rt of runtimes) await rt.stop();
  });

  it('R19: npm start reads the systems file into the ports every handler gets', async () => {
    const rt = await startTestRuntime({ systemsPath: DEMO_SYSTEMS });
    runtimes.push(rt);
    expect(rt.deps.systems.systems.map((s) => s.id)).toEqual(['records', 'ebooks', 'bookings', 'fundraising']);
  });

  it('R19: without a systems file, the built-in records table is the one system', async () => {
    const rt = await startTestRuntime();
    runtimes.push(rt);
    expect(rt.deps.systems).toEqual(RECORDS_TABLE_ONLY);
  });

  it('a bad systems file starts nothing and names the first bad field, never a value (R5)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pd-systems-'));
    const bad = join(dir, 'systems.json');
    await writeFile(
      bad,
      '\uFEFF' +
        JSON.stringify({
          systems: [{ id: 'records', type: 'records-table', name: 'R', identity: true, categories: ['gossip'] }],
        }),
    );
    const e = await refusal(startTestRuntime({ systemsPath: bad }));
    expect(e.message).toMatch(/^systems file is invalid at systems\.0\.categories\.0: /);
    expect(e.message).not.toContain('gossip');
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{"systems": [ {"id": "ada.lovelace@example.org" ');
    const syntax = await refusal(readSystemsFile(broken));
    expect(syntax.message).toBe('systems file is not valid JSON');
  });

  it('R19: in AWS the systems file arrives as SYSTEMS_JSON, parsed and refused the same way', async () => {
    const demo = await readSystemsFile(DEMO_SYSTEMS);
    expect(depsFromEnv({ ...ENV, SYSTEMS_JSON: JSON.stringify(demo) }).systems).toEqual(demo);
    expect(depsFromEnv(ENV).systems).toEqual(RECORDS_TABLE_ONLY);
    expect(() => depsFromEnv({ ...ENV, SYSTEMS_JSON: '{"systems": "ada@example.org"' })).toThrow(
      'systems file is not valid JSON',
    );
  });
});
