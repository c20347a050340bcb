import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../functions/domain/errors.ts';
import { STAFF_ROLES, type Dataset, type Patron } from '../../functions/domain/dataset.ts';
import {
  datasetToItems,
  parseDataset,
  readDatasetFile,
} from '../../functions/connectors/records-table/load-dataset.ts';

const DEMO_PATH = fileURLToPath(new URL('../../local/demo-dataset.json', import.meta.url));
const TODAY = '2026-11-28';

/** A fresh, mutable copy of the demo file's raw JSON for each refusal case. */
type Raw = { patrons: Record<string, unknown>[]; loans: Record<string, unknown>[] } & Record<string, unknown>;
const rawDemo = (): Raw => JSON.parse(readFileSync(DEMO_PATH, 'utf8')) as Raw;

/** Whole years between a date of birth and a day, both YYYY-MM-DD (as R11 computes age). */
function ageOn(dateOfBirth: string, day: string): number {
  const [by, bm, bd] = dateOfBirth.split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = day.split('-').map(Number) as [number, number, number];
  return ty - by - (tm < bm || (tm === bm && td < bd) ? 1 : 0);
}

/** Runs a parse that must fail and returns the error, so tests can inspect message and issues. */
function refusal(raw: unknown): InvalidInputError {
  try {
    parseDataset(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidInputError);
    return e as InvalidInputError;
  }
  throw new Error('expected the dataset to be refused');
}

describe('the demo dataset', () => {
  let d: Dataset;
  let byId: Map<string, Patron>;
  beforeAll(async () => {
    d = await readDatasetFile(DEMO_PATH);
    byId = new Map(d.patrons.map((p) => [p.id, p]));
  });

  const minors = (lo: number, hi: number) =>
    d.patrons.filter((p) => {
      const age = ageOn(p.dateOfBirth, TODAY);
      return age >= lo && age <= hi;
    });

  it('is a Connecticut library with enough patrons', () => {
    expect(d.library.timezone).toBe('America/New_York');
    expect(d.patrons.length).toBeGreaterThanOrEqual(24);
    for (const p of d.patrons) if (p.address) expect(p.address.state).toBe('CT');
  });

  it('has Ada, the well-known demo patron, with a full history', () => {
    const ada = byId.get('P1001');
    expect(ada).toMatchObject({
      cardNumber: '21234000012345',
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'ada@example.org',
    });
    const mine = <T extends { patronId: string }>(rs: T[]) => rs.filter((r) => r.patronId === 'P1001');
    const loans = mine(d.loans);
    expect(loans.length).toBeGreaterThanOrEqual(3);
    expect(loans.filter((l) => l.returnedAt === null)).toHaveLength(1);
    expect(mine(d.holds).length).toBeGreaterThan(0);
    expect(mine(d.fines).some((f) => f.outstanding > 0)).toBe(true);
    expect(mine(d.programs).length).toBeGreaterThan(0);
    expect(mine(d.donations).length).toBeGreaterThan(0);
    expect(mine(d.sharedContent).some((s) => s.kind === 'review')).toBe(true);
  });

  it('has children under 13 and teens 13-17 (on 2026-11-28), each with a guarantor who is a patron', () => {
    const children = minors(0, 12);
    const teens = minors(13, 17);
    expect(children.length).toBeGreaterThanOrEqual(3);
    expect(teens.length).toBeGreaterThanOrEqual(3);
    for (const p of [...children, ...teens]) {
      expect(p.guarantorIds.length, p.id).toBeGreaterThan(0);
      for (const g of p.guarantorIds) {
        const guarantor = byId.get(g);
        expect(guarantor, `${p.id} guarantor ${g}`).toBeDefined();
        expect(ageOn(guarantor?.dateOfBirth ?? TODAY, TODAY)).toBeGreaterThanOrEqual(18);
      }
    }
  });

  it('has the age edge cases: a teen who turns 18 in 2027, a patron who turned 18 in 2026', () => {
    expect(minors(13, 17).some((p) => p.dateOfBirth.startsWith('2009-'))).toBe(true);
    const justAdult = d.patrons.filter((p) => p.dateOfBirth.startsWith('2008-') && ageOn(p.dateOfBirth, TODAY) === 18);
    expect(justAdult.length).toBeGreaterThan(0);
  });

  it('has a teen without email and an adult without email (verified in person, R7)', () => {
    expect(minors(13, 17).some((p) => p.email === undefined)).toBe(true);
    expect(d.patrons.some((p) => p.email === undefined && ageOn(p.dateOfBirth, TODAY) >= 18)).toBe(true);
  });

  it('has a patron with credentials, payment methods and linked accounts', () => {
    const p = d.patrons.find(
      (x) => x.username && x.passwordHash?.startsWith('$2b$12$') && x.securityQuestions.some((q) => q.answerHash),
    );
    expect(p).toBeDefined();
    const services = new Set(d.patrons.flatMap((x) => x.linkedAccounts.map((a) => a.service)));
    for (const s of ['OverDrive', 'Libby', 'Kanopy']) expect(services).toContain(s);
    expect(d.patrons.some((x) => x.paymentMethods.length > 0)).toBe(true);
  });

  it('has loans out and returned, holds, fines outstanding and paid off, programs, donations, shared content', () => {
    expect(d.loans.some((l) => l.returnedAt === null)).toBe(true);
    expect(d.loans.some((l) => l.returnedAt !== null)).toBe(true);
    expect(d.holds.length).toBeGreaterThan(0);
    expect(d.fines.some((f) => f.outstanding > 0)).toBe(true);
    expect(d.fines.some((f) => f.outstanding === 0)).toBe(true);
    expect(d.programs.length).toBeGreaterThan(0);
    expect(d.donations.length).toBeGreaterThan(0);
    expect(d.sharedContent.length).toBeGreaterThan(0);
  });

  it('has staff in every role, and only fictional addresses and numbers', () => {
    const roles = new Set(d.staff.flatMap((s) => s.roles));
    for (const r of STAFF_ROLES) expect(roles).toContain(r);
    for (const s of d.staff) expect(s.email).toMatch(/@library\.example$/);
    for (const p of d.patrons) {
      if (p.email) expect(p.email).toMatch(/@(example\.org|example\.com|library\.example)$/);
      if (p.phone) expect(p.phone).toMatch(/^\+1203555\d{4}$/);
    }
  });
});

describe('parseDataset refuses a bad dataset', () => {
  it('names the path of a missing required field', () => {
    const raw = rawDemo();
    delete raw.patrons[0]?.lastName;
    const err = refusal(raw);
    expect(err.message).toMatch(/^dataset is invalid at patrons\.0\.lastName: /);
    expect(err.issues).toContainEqual(expect.objectContaining({ path: 'patrons.0.lastName' }));
  });

  it('names the path of a wrong type', () => {
    const raw = rawDemo();
    const fines = raw.fines as Record<string, unknown>[];
    (fines[2] as Record<string, unknown>).amount = '2.50';
    const err = refusal(raw);
    expect(err.message).toMatch(/^dataset is invalid at fines\.2\.amount: /);
  });

  it('names the first bad field and lists every issue', () => {
    const raw = rawDemo();
    delete raw.patrons[1]?.firstName;
    (raw.patrons[5] as Record<string, unknown>).dateOfBirth = '05/01/1990';
    const err = refusal(raw);
    expect(err.message).toContain('patrons.1.firstName');
    expect(err.issues.map((i) => i.path)).toEqual(['patrons.1.firstName', 'patrons.5.dateOfBirth']);
  });

  it('refuses a duplicate card number at the second occurrence', () => {
    const raw = rawDemo();
    (raw.patrons[7] as Record<string, unknown>).cardNumber = '21234000012345';
    const err = refusal(raw);
    expect(err.message).toBe('dataset is invalid at patrons.7.cardNumber: duplicate card number');
  });

  it('refuses an unknown guarantor', () => {
    const raw = rawDemo();
    const i = raw.patrons.findIndex((p) => Array.isArray(p.guarantorIds) && p.guarantorIds.length > 0);
    (raw.patrons[i] as Record<string, unknown>).guarantorIds = ['P9999'];
    const err = refusal(raw);
    expect(err.message).toBe(`dataset is invalid at patrons.${i}.guarantorIds.0: unknown patron`);
  });

  it('refuses a loan for an unknown patron', () => {
    const raw = rawDemo();
    (raw.loans[3] as Record<string, unknown>).patronId = 'P9999';
    const err = refusal(raw);
    expect(err.message).toBe('dataset is invalid at loans.3.patronId: unknown patron');
  });

  it('refuses a fine whose outstanding balance exceeds its amount', () => {
    const raw = rawDemo();
    (raw.fines as Record<string, unknown>[])[0] = {
      ...(raw.fines as Record<string, unknown>[])[0],
      amount: 1,
      outstanding: 5,
    };
    expect(refusal(raw).message).toBe('dataset is invalid at fines.0.outstanding: outstanding exceeds the amount');
  });

  it('R20: refuses a donor with a malformed email, and two donors with one address (matched by email alone)', () => {
    const raw = rawDemo() as Raw & { donors: { id: string; email: string }[] };
    raw.donors = [
      { id: 'G1', email: 'not an email' },
      { id: 'G2', email: 'Same@example.net' },
      { id: 'G3', email: 'same@example.net' },
    ];
    const paths = refusal(raw).issues.map((i) => i.path);
    expect(paths).toContain('donors.0.email');
    expect(paths).toContain('donors.2.email');
    expect(JSON.stringify(refusal(raw).issues)).not.toContain('example.net');
  });

  it('R20: a dataset without donors loads as before (the field is optional)', () => {
    const raw = rawDemo() as Raw & { donors?: unknown };
    delete raw.donors;
    expect(parseDataset(raw).donors).toEqual([]);
  });

  it('refuses hostile strings by length: a 10,000-character name', () => {
    const raw = rawDemo();
    const name = 'A'.repeat(10_000);
    (raw.patrons[0] as Record<string, unknown>).firstName = name;
    const err = refusal(raw);
    expect(err.message).toMatch(/^dataset is invalid at patrons\.0\.firstName: /);
    expect(err.message).not.toContain('AAAAAAAAAA');
  });

  it('refuses a document that is not an object, naming the root', () => {
    expect(refusal(null).message).toMatch(/^dataset is invalid at \(root\): /);
    expect(refusal([]).message).toMatch(/^dataset is invalid at \(root\): /);
  });

  it('never echoes the offending value (R5)', () => {
    const raw = rawDemo();
    (raw.patrons[2] as Record<string, unknown>).cardNumber = 'ABC-secret';
    const err = refusal(raw);
    expect(err.message).toBe('dataset is invalid at patrons.2.cardNumber: a card number is 6 to 20 digits');
    expect(JSON.stringify(err.issues)).not.toContain('ABC-secret');
  });

  it('never echoes an unknown key that is not a plain field name', () => {
    const raw = rawDemo();
    (raw.patrons[0] as Record<string, unknown>)['ssn 078-05-1120'] = 'x';
    const err = refusal(raw);
    expect(err.message).toBe('dataset is invalid at patrons.0: unknown field(s)');
    expect(JSON.stringify(err.issues)).not.toContain('078-05-1120');
  });
});

describe('readDatasetFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dsr-dataset-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses malformed JSON without quoting the content', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(file, '{ "patrons": [ { "lastName": "Secretperson" ');
    const err = await readDatasetFile(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toBe('dataset is not valid JSON');
    expect((err as Error).message).not.toContain('Secretperson');
  });

  it('reads a file that starts with a byte-order mark', async () => {
    const file = join(dir, 'bom.json');
    await writeFile(file, `\uFEFF${readFileSync(DEMO_PATH, 'utf8')}`);
    await expect(readDatasetFile(file)).resolves.toMatchObject({ library: { timezone: 'America/New_York' } });
  });
});

describe('datasetToItems', () => {
  let d: Dataset;
  let items: Record<string, unknown>[];
  beforeAll(async () => {
    d = await readDatasetFile(DEMO_PATH);
    items = datasetToItems(d);
  });

  it('R20: keys a donor without a card by id, and finds them by their lower-cased email on gsi1 (never a scan)', () => {
    expect(d.donors.length).toBeGreaterThan(0);
    for (const donor of d.donors)
      expect(items).toContainEqual(
        expect.objectContaining({
          pk: `DONOR#${donor.id}`,
          sk: 'PROFILE',
          kind: 'DONOR',
          gsi1pk: `DONOR-EMAIL#${donor.email.toLowerCase()}`,
          gsi1sk: 'DONOR',
        }),
      );
  });

  it("finds Ada's profile by card number on gsi1", () => {
    const ada = items.find((i) => i.pk === 'PATRON#P1001' && i.sk === 'PROFILE');
    expect(ada).toMatchObject({ gsi1pk: 'CARD#21234000012345', gsi1sk: 'PROFILE', lastName: 'Lovelace' });
  });

  it('writes a guarantee item under the guarantor for each guaranteed card', () => {
    for (const p of d.patrons) {
      for (const g of p.guarantorIds) {
        expect(items).toContainEqual(
          expect.objectContaining({ pk: `PATRON#${g}`, sk: `GUARANTEES#${p.id}`, kind: 'GUARANTEE', childId: p.id }),
        );
      }
    }
    const children = d.patrons.filter((p) => ageOn(p.dateOfBirth, TODAY) < 18);
    expect(children.length).toBeGreaterThan(0);
    for (const c of children) {
      expect(
        items.some((i) => i.kind === 'GUARANTEE' && i.childId === c.id),
        c.id,
      ).toBe(true);
    }
  });

  it('writes one item per record, staff role, patron and guarantee, plus the library', () => {
    const count = (kind: string) => items.filter((i) => i.kind === kind).length;
    expect(count('PATRON')).toBe(d.patrons.length);
    expect(count('LOAN')).toBe(d.loans.length);
    expect(count('HOLD')).toBe(d.holds.length);
    expect(count('FINE')).toBe(d.fines.length);
    expect(count('PROGRAM')).toBe(d.programs.length);
    expect(count('DONATION')).toBe(d.donations.length);
    expect(count('SHARED')).toBe(d.sharedContent.length);
    expect(count('STAFF')).toBe(d.staff.reduce((n, s) => n + new Set(s.roles).size, 0));
    expect(count('GUARANTEE')).toBe(d.patrons.reduce((n, p) => n + new Set(p.guarantorIds).size, 0));
    expect(items.at(-1)).toEqual({
      pk: 'LIBRARY',
      sk: 'META',
      kind: 'LIBRARY',
      name: d.library.name,
      timezone: d.library.timezone,
    });
  });

  it('keys records under their patron and keeps the shared content kind apart', () => {
    expect(items).toContainEqual(
      expect.objectContaining({ pk: 'PATRON#P1001', sk: 'LOAN#L2001', kind: 'LOAN', returnedAt: null }),
    );
    expect(items).toContainEqual(
      expect.objectContaining({ pk: 'PATRON#P1001', sk: 'SHARED#S7001', kind: 'SHARED', contentKind: 'review' }),
    );
    expect(items).toContainEqual(
      expect.objectContaining({ pk: 'ROLE#privacy-officer', sk: 'privacy@library.example' }),
    );
  });

  it('has unique keys and no undefined attribute (BatchWrite refuses both)', () => {
    const keys = items.map((i) => `${String(i.pk)}|${String(i.sk)}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const i of items) expect(Object.values(i)).not.toContain(undefined);
  });
});
