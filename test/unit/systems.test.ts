import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../functions/domain/errors.ts';
import { parseSystemsFile, RECORDS_TABLE_ONLY, systemsFor, type SystemsFile } from '../../functions/domain/systems.ts';

const demo = async (): Promise<unknown> =>
  JSON.parse(await readFile(new URL('../../local/demo-systems.json', import.meta.url), 'utf8'));

const refusal = (raw: unknown): InvalidInputError => {
  try {
    parseSystemsFile(raw);
  } catch (e) {
    if (e instanceof InvalidInputError) return e;
    throw e;
  }
  throw new Error('the file was accepted');
};

const koha = (auth: unknown) => ({
  systems: [
    {
      id: 'ils',
      type: 'koha',
      name: 'Koha',
      baseUrl: 'https://koha.example.org/api/v1',
      auth,
      identity: true,
      categories: ['personal'],
    },
  ],
});

describe('the systems file (R19)', () => {
  it('R19: the demo file names the records table, an e-book vendor, a booking system and an outreach list', async () => {
    const file = parseSystemsFile(await demo());
    expect(file.systems.map((s) => s.type)).toEqual(['records-table', 'manual', 'manual', 'manual']);
    expect(file.systems.filter((s) => s.outreach).map((s) => s.id)).toEqual(['fundraising']);
    expect(file.systems.filter((s) => s.identity).map((s) => s.id)).toEqual(['records']);
  });

  it('R19: a manual system takes part only in the kinds it has an instruction for', async () => {
    const file: SystemsFile = parseSystemsFile(await demo());
    expect(systemsFor(file, 'outreach-opt-out').map((s) => s.id)).toEqual(['records', 'fundraising']);
    expect(systemsFor(file, 'deletion').map((s) => s.id)).toEqual(['records', 'ebooks', 'bookings', 'fundraising']);
    expect(systemsFor(file, 'guardian-access').map((s) => s.id)).toEqual(['records', 'ebooks']);
  });

  it('accepts Koha with OAuth2 client credentials or Basic, named by environment variable', () => {
    expect(
      parseSystemsFile(koha({ type: 'oauth2', clientIdEnv: 'KOHA_ID', clientSecretEnv: 'KOHA_SECRET' })).systems[0],
    ).toMatchObject({ type: 'koha', auth: { type: 'oauth2' } });
    expect(
      parseSystemsFile(koha({ type: 'basic', userEnv: 'KOHA_USER', passwordEnv: 'KOHA_PASSWORD' })).systems[0],
    ).toMatchObject({ auth: { type: 'basic' } });
  });

  it('refuses a secret written into the file, without echoing it (R5)', () => {
    const e = refusal(koha({ type: 'basic', userEnv: 'KOHA_USER', passwordEnv: 'KOHA_PASSWORD', password: 'hunter2' }));
    expect(e.message).toBe('systems file is invalid at systems.0.auth: unknown field(s): password');
    expect(JSON.stringify(e)).not.toContain('hunter2');
    const value = refusal(koha({ type: 'basic', userEnv: 'KOHA_USER', passwordEnv: 's3cr3t value!' }));
    expect(value.message).toMatch(/^systems file is invalid at systems\.0\.auth\.passwordEnv: /);
    expect(JSON.stringify(value)).not.toContain('s3cr3t');
  });

  it('refuses the whole file with the path of the first bad field', async () => {
    const file = (await demo()) as { systems: Record<string, unknown>[] };
    const twice = { systems: [...file.systems, { ...file.systems[1] }] };
    expect(refusal(twice).message).toBe('systems file is invalid at systems.4.id: the same id twice');
    const unknownType = { systems: [{ ...file.systems[0], type: 'sierra' }] };
    expect(refusal(unknownType).message).toMatch(/^systems file is invalid at systems\.0\.type: /);
    const noRole = { systems: [file.systems[0], { ...file.systems[1], role: 'janitor' }] };
    expect(refusal(noRole).message).toMatch(/^systems file is invalid at systems\.1\.role: /);
    expect(
      refusal(koha({ type: 'oauth2', clientIdEnv: 'A', clientSecretEnv: 'B' }).systems[0] && { systems: [] }).message,
    ).toMatch(/^systems file is invalid at systems: /);
  });

  it('refuses a file where no system can match a card (identity)', async () => {
    const file = (await demo()) as { systems: Record<string, unknown>[] };
    const none = { systems: file.systems.map((s) => ({ ...s, identity: false })) };
    expect(refusal(none).message).toBe('systems file is invalid at systems: no system is marked identity: true');
  });

  it.each([null, 'systems', [], { systems: 'all' }, { systems: [{}] }, { systems: [], extra: 1 }])(
    'refuses malformed input %j',
    (raw) => {
      expect(refusal(raw)).toBeInstanceOf(InvalidInputError);
    },
  );
});

describe('a library without a systems file', () => {
  it('R19: has the built-in records table alone, as the systems file schema gives it, for every category a patron holds', () => {
    // Written out rather than parsed at import (cold start): the schema must take it unchanged.
    const parsed = parseSystemsFile({
      systems: [
        {
          id: 'records',
          type: 'records-table',
          name: 'Privacy Desk records',
          identity: true,
          categories: [
            'personal',
            'residency',
            'credentials',
            'library-records',
            'payments',
            'donations',
            'shared-content',
          ],
        },
      ],
    });
    expect(RECORDS_TABLE_ONLY).toStrictEqual(parsed);
    expect(JSON.stringify(parseSystemsFile(structuredClone(RECORDS_TABLE_ONLY)))).toBe(
      JSON.stringify(RECORDS_TABLE_ONLY),
    );
  });
});
