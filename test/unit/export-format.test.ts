import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATEGORIES } from '../../functions/domain/categories.ts';
import { IntegrityError } from '../../functions/domain/errors.ts';
import {
  csvCell,
  csvLine,
  EXPORT_FORMAT,
  EXPORT_FORMAT_VERSION,
  exportPlan,
  NOT_LINKED_STATEMENT,
  RESIDENCY_STATEMENT,
  type ExportRecordKind,
  type ExportRecordTypes,
} from '../../functions/domain/export-format.ts';
import { defaultPolicy, type Policy } from '../../functions/domain/policy.ts';
import { createExportZip, type ExportInput } from '../../functions/render/export-zip.ts';
import type { Loan, Patron } from '../../functions/domain/dataset.ts';
import { parseCsv } from '../support/csv.ts';
import { unzip } from '../support/zip.ts';

/** Unit tests of the export (R8a): the format rules, and the streaming writer against an in-memory source. */

const PASSWORD_HASH = '$2b$12$SECRETPASSWORDHASHxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx';
const ANSWER_HASHES = [
  '$2b$12$ANSWERHASHONExxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  '$2b$12$ANSWERHASHTWOxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
];
const QUESTION = 'What was the name of your first pet?';

const patron: Patron = {
  id: 'p-1',
  cardNumber: '21234000123456',
  firstName: 'Zoë',
  lastName: 'O\'Brien, "Jr"',
  dateOfBirth: '1990-12-10',
  email: 'zoe@example.org',
  phone: '+1 203 555 0100',
  address: { street: '1 Main St\nApt 2', city: 'Greenwich', state: 'CT', postalCode: '06830' },
  guarantorIds: ['p-0'],
  username: 'zoe90',
  passwordHash: PASSWORD_HASH,
  securityQuestions: ANSWER_HASHES.map((answerHash) => ({ question: QUESTION, answerHash })),
  // The source may hold more than the schema allows (an ILS adds fields): the allow-list decides.
  paymentMethods: [
    {
      type: 'card',
      last4: '4242',
      number: '4242424242424242',
      cvc: '123',
    } as unknown as Patron['paymentMethods'][number],
  ],
  linkedAccounts: [{ service: 'Libby', externalId: 'ext-77' }],
};

const loan = (i: number, overrides: Partial<Loan> = {}): Loan => ({
  id: `L${i}`,
  patronId: 'p-1',
  itemId: `I${i}`,
  title: `Book ${i}`,
  branch: 'Main',
  checkedOutAt: '2025-01-02T15:00:00Z',
  dueAt: '2025-01-23T15:00:00Z',
  returnedAt: null,
  ...overrides,
});

const HOSTILE_TITLE = '=HYPERLINK("http://evil.example","click")';
const MULTILINE = 'Loved it, "truly".\nTwo lines.';

type Records = { [K in ExportRecordKind]: ExportRecordTypes[K][] };
const records = (over: Partial<Records> = {}): Records => ({
  LOAN: [
    loan(1, { title: HOSTILE_TITLE, returnedAt: '2025-01-20T18:30:00Z' }),
    loan(2, { title: '+1 for this', branch: undefined }),
    ...Array.from({ length: 1200 }, (_, i) => loan(i + 3)),
  ],
  HOLD: [{ id: 'H1', patronId: 'p-1', title: '@mention me', placedAt: '2025-02-01T10:00:00Z', status: 'waiting' }],
  PROGRAM: [{ id: 'E1', patronId: 'p-1', title: 'Chess, for beginners', date: '2025-02-08', attended: true }],
  FINE: [
    {
      id: 'F1',
      patronId: 'p-1',
      amount: 2.5,
      outstanding: 1,
      reason: '-late return',
      createdAt: '2025-01-21T12:00:00Z',
    },
  ],
  DONATION: [{ id: 'D1', patronId: 'p-1', amount: 100, date: '2024-12-31', campaign: 'Annual Appeal' }],
  SHARED: [
    {
      id: 'S1',
      patronId: 'p-1',
      kind: 'review',
      title: 'Great read',
      text: MULTILINE,
      createdAt: '2025-01-25T12:00:00Z',
    },
  ],
  ...over,
});

/** Pages of `size`, as the records source yields them; counts the pages read. */
const sourceOf = (data: Records, size = 500) => {
  const read: ExportRecordKind[] = [];
  return {
    read,
    source: {
      async *records<K extends ExportRecordKind>(kind: K): AsyncGenerator<ExportRecordTypes[K][]> {
        const all = data[kind] as ExportRecordTypes[K][];
        for (let i = 0; i < all.length; i += size) {
          read.push(kind);
          yield all.slice(i, i + size);
        }
      },
    },
  };
};

const input = (over: Partial<ExportInput> = {}): ExportInput => ({
  policy: defaultPolicy,
  library: { name: 'Greenwich Library' },
  generatedAt: '2025-03-04T15:00:00Z',
  requestId: '00000000-0000-4000-8000-000000000001',
  patron,
  verification: {
    method: 'in-person',
    verifiedAt: '2025-03-04T14:00:00Z',
    verifiedByRole: 'circulation',
    verifiedByStaffId: 'kevin@library.example',
    documentKind: 'photo-id',
  },
  source: sourceOf(records()).source,
  ...over,
});

/** A CSV as objects keyed by its header. */
const csvObjects = (text: string) => {
  const [head, ...rows] = parseCsv(text);
  return rows.map((r) => Object.fromEntries((head ?? []).map((h, i) => [h, r[i]])));
};

const collect = async (stream: NodeJS.ReadableStream): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};

async function exportOf(i: ExportInput, spoolDir?: string) {
  const zip = createExportZip(i, spoolDir ? { spoolDir } : {});
  const [buf, summary] = await Promise.all([collect(zip.stream), zip.done]);
  return { buf, summary, files: await unzip(buf) };
}

describe('CSV cells', () => {
  it('R8a: quotes, commas and line breaks are quoted, quotes doubled (RFC 4180)', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('one\ntwo')).toBe('"one\ntwo"');
    expect(csvCell('one\r\ntwo')).toBe('"one\r\ntwo"');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(2.5)).toBe('2.5');
    expect(csvCell(true)).toBe('true');
    expect(csvLine(['a', 'b,c', null, 1])).toBe('a,"b,c",,1\r\n');
  });

  it('R8a: a text that a spreadsheet would run as a formula starts with a single quote', () => {
    for (const start of ['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠']) {
      const cell = csvCell(`${start}1+1`);
      expect(cell.replace(/^"/, '').startsWith(`'${start}`), JSON.stringify(start)).toBe(true);
    }
    expect(csvCell('=HYPERLINK("http://evil.example","x")')).toBe('"\'=HYPERLINK(""http://evil.example"",""x"")"');
    expect(csvCell('+12035550100')).toBe("'+12035550100");
    expect(csvCell('a=b')).toBe('a=b');
    // Numbers are data, not formulas: a negative amount stays a number.
    expect(csvCell(-1.5)).toBe('-1.5');
  });
});

describe('export plan', () => {
  it('R8a: covers every category the policy names, in the policy table order', () => {
    const plan = exportPlan(defaultPolicy);
    expect(plan.map((c) => c.category)).toEqual([...CATEGORIES]);
    expect(plan.map((c) => c.category)).toEqual(Object.keys(defaultPolicy.categories));
    for (const c of plan) expect(c.csvColumns[0]).toBe('record');
  });

  it('credentials: the username is the only field, whatever the view setting says', () => {
    for (const view of ['username-only', 'include'] as const) {
      const policy: Policy = {
        ...defaultPolicy,
        categories: { ...defaultPolicy.categories, credentials: { ...defaultPolicy.categories.credentials, view } },
      };
      const credentials = exportPlan(policy).find((c) => c.category === 'credentials');
      expect(credentials?.parts.flatMap((p) => p.fields)).toEqual(['username']);
      expect(credentials?.csvColumns).toEqual(['record', 'username']);
    }
  });

  it('R4: residency is reported as reviewed, not retained, with no data; automatic as not linked', () => {
    const plan = exportPlan(defaultPolicy);
    const residency = plan.find((c) => c.category === 'residency');
    expect(residency?.statement).toBe(RESIDENCY_STATEMENT);
    expect(residency?.statement).toMatch(/^Reviewed, not retained/);
    expect(residency?.parts).toEqual([]);
    const automatic = plan.find((c) => c.category === 'automatic');
    expect(automatic?.statement).toBe(NOT_LINKED_STATEMENT);
    expect(automatic?.statement).toContain('not linked to you');
    expect(automatic?.parts).toEqual([]);
  });
});

describe('export zip', () => {
  let result: Awaited<ReturnType<typeof exportOf>>;
  let doc: {
    format: string;
    version: number;
    library: { name: string };
    verification: Record<string, string>;
    categories: Record<string, { title: string; handling: string; statement?: string; data?: Record<string, unknown> }>;
  };
  beforeAll(async () => {
    result = await exportOf(input());
    doc = JSON.parse(result.files.get('export.json') ?? '') as typeof doc;
  });

  it('R8a: one zip holding export.json and one CSV per category', () => {
    expect(result.buf.subarray(0, 4).toString('hex')).toBe('504b0304');
    expect([...result.files.keys()]).toEqual(['export.json', ...CATEGORIES.map((c) => `${c}.csv`)]);
    expect(result.summary.entries).toEqual([...result.files.keys()]);
  });

  it('R8a: the JSON is one document with its format, a version, and the policy category names and titles', () => {
    expect(doc.format).toBe(EXPORT_FORMAT);
    expect(doc.version).toBe(EXPORT_FORMAT_VERSION);
    expect(doc.version).toBe(1);
    expect(doc.library.name).toBe('Greenwich Library');
    expect(Object.keys(doc.categories)).toEqual(Object.keys(defaultPolicy.categories));
    for (const c of CATEGORIES) {
      expect(doc.categories[c]?.title).toBe(defaultPolicy.categories[c].title);
      expect(doc.categories[c]?.handling).toBe(defaultPolicy.categories[c].view);
    }
  });

  it('R8a: every record is in both the JSON and the CSV, across pages', () => {
    const loans = doc.categories['library-records']?.data?.loans as Record<string, unknown>[];
    expect(loans).toHaveLength(1202);
    expect(loans[0]).toEqual({
      id: 'L1',
      itemId: 'I1',
      title: HOSTILE_TITLE,
      branch: 'Main',
      checkedOutAt: '2025-01-02T15:00:00Z',
      dueAt: '2025-01-23T15:00:00Z',
      returnedAt: '2025-01-20T18:30:00Z',
    });
    expect(loans[1]?.branch).toBeNull();
    expect(loans.at(-1)?.id).toBe('L1202');
    const rows = csvObjects(result.files.get('library-records.csv') ?? '');
    expect(rows.filter((r) => r.record === 'loan')).toHaveLength(1202);
    expect(rows.filter((r) => r.record === 'hold')).toHaveLength(1);
    expect(rows.filter((r) => r.record === 'program')).toHaveLength(1);
    expect(result.summary.rows['library-records']).toBe(1204);
    expect(doc.categories.payments?.data?.fines).toHaveLength(1);
    expect(doc.categories.donations?.data?.donations).toHaveLength(1);
    expect((doc.categories['shared-content']?.data?.sharedContent as { text: string }[])[0]?.text).toBe(MULTILINE);
  });

  it('R8a: CSV cells survive quotes, commas and line breaks, and formulas are neutralised', () => {
    const library = csvObjects(result.files.get('library-records.csv') ?? '');
    expect(library[0]).toMatchObject({ record: 'loan', id: 'L1', title: `'${HOSTILE_TITLE}` });
    expect(library[1]).toMatchObject({ record: 'loan', id: 'L2', title: "'+1 for this", branch: '' });
    expect(library.find((r) => r.record === 'hold')?.title).toBe("'@mention me");
    expect(library.find((r) => r.record === 'program')).toMatchObject({
      title: 'Chess, for beginners',
      attended: 'true',
    });
    expect(csvObjects(result.files.get('payments.csv') ?? '')[0]).toMatchObject({
      reason: "'-late return",
      amount: '2.5',
      outstanding: '1',
    });
    expect(csvObjects(result.files.get('shared-content.csv') ?? '')[0]?.text).toBe(MULTILINE);
    const [profile] = csvObjects(result.files.get('personal.csv') ?? '');
    expect(profile).toMatchObject({
      record: 'profile',
      firstName: 'Zoë',
      lastName: 'O\'Brien, "Jr"',
      street: '1 Main St\nApt 2',
      phone: "'+1 203 555 0100",
    });
    // No unquoted formula start anywhere in any CSV.
    for (const [name, text] of result.files) {
      if (!name.endsWith('.csv')) continue;
      for (const row of parseCsv(text))
        for (const cell of row) expect(/^[=+\-@\t\r]/.test(cell), `${name}: ${cell}`).toBe(false);
    }
  });

  it('credentials: the username only; no password hash, security question or answer anywhere in any file', () => {
    expect(doc.categories.credentials?.data).toEqual({ account: { username: 'zoe90' } });
    expect(csvObjects(result.files.get('credentials.csv') ?? '')).toEqual([{ record: 'account', username: 'zoe90' }]);
    const everything = [...result.files.values()].join('\n');
    for (const secret of [
      PASSWORD_HASH,
      ...ANSWER_HASHES,
      QUESTION,
      '$2b$',
      'passwordHash',
      'answerHash',
      'securityQuestions',
    ])
      expect(everything).not.toContain(secret);
    // The compressed bytes cannot hide them either: they are simply not there.
    expect(result.buf.includes(Buffer.from(PASSWORD_HASH))).toBe(false);
  });

  it('payment methods: type and last four digits only', () => {
    expect(doc.categories.personal?.data?.paymentMethods).toEqual([{ type: 'card', last4: '4242' }]);
    const everything = [...result.files.values()].join('\n');
    expect(everything).not.toContain('4242424242424242');
    expect(everything).not.toContain('cvc');
    expect(csvObjects(result.files.get('personal.csv') ?? '').find((r) => r.record === 'payment-method')).toMatchObject(
      { type: 'card', last4: '4242' },
    );
  });

  it('R1: guardians are counted, never named; R4: verification says who checked by role, never the document', () => {
    expect((doc.categories.personal?.data?.profile as Record<string, unknown>).guardiansLinked).toBe(1);
    expect(result.files.get('export.json')).not.toContain('p-0');
    expect(doc.verification).toEqual({
      method: 'in-person',
      verifiedAt: '2025-03-04T14:00:00Z',
      verifiedByRole: 'circulation',
    });
    expect(result.files.get('export.json')).not.toContain('kevin@library.example');
  });

  it('R4: residency says reviewed, not retained and holds no data; automatic says not linked to you', () => {
    expect(doc.categories.residency).toMatchObject({
      handling: 'reviewed-not-retained',
      statement: RESIDENCY_STATEMENT,
    });
    expect(doc.categories.residency?.data).toBeUndefined();
    expect(csvObjects(result.files.get('residency.csv') ?? '')).toEqual([
      { record: 'statement', handling: 'reviewed-not-retained', statement: RESIDENCY_STATEMENT },
    ]);
    expect(doc.categories.automatic).toMatchObject({ handling: 'not-linked', statement: NOT_LINKED_STATEMENT });
    expect(csvObjects(result.files.get('automatic.csv') ?? '')[0]?.statement).toContain('not linked to you');
  });
});

describe('export zip: failure and clean-up', () => {
  let spool: string;
  beforeAll(async () => {
    spool = await mkdtemp(join(tmpdir(), 'export-spool-test-'));
  });
  afterAll(async () => rm(spool, { recursive: true, force: true }));

  it('leaves nothing in the spool folder after a complete export', async () => {
    await exportOf(input(), spool);
    expect(await readdir(spool)).toEqual([]);
  });

  it('R1: a record of another patron stops the export (ids only in the error), and the spool is removed', async () => {
    const data = records({
      FINE: [
        {
          id: 'F9',
          patronId: 'someone-else',
          amount: 1,
          outstanding: 1,
          reason: 'x',
          createdAt: '2025-01-21T12:00:00Z',
        },
      ],
    });
    const zip = createExportZip(input({ source: sourceOf(data).source }), { spoolDir: spool });
    const consumed = collect(zip.stream).then(
      () => 'complete',
      (e: unknown) => e,
    );
    await expect(zip.done).rejects.toBeInstanceOf(IntegrityError);
    await expect(zip.done).rejects.toThrow(/^fines record F9 does not belong/);
    expect(await consumed).toBeInstanceOf(IntegrityError); // the zip stream ends with the error, never as a complete file
    expect(await readdir(spool)).toEqual([]);
  });

  it('a consumer that gives up stops the reading, and the spool is removed', async () => {
    const { source, read } = sourceOf(records({ LOAN: Array.from({ length: 50_000 }, (_, i) => loan(i)) }), 100);
    const zip = createExportZip(input({ source }), { spoolDir: spool });
    for await (const _chunk of zip.stream) break; // destroys the stream after the first chunk
    await expect(zip.done).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 50));
    expect(read.length).toBeLessThan(500); // far from the 500 pages of the whole history
    expect(await readdir(spool)).toEqual([]);
  });
});
