import { CATEGORIES, type Category } from './categories.ts';
import type { CategoryPolicy, Policy } from './policy.ts';
import type { Verification } from './request.ts';
import type { Patron, RecordTypes } from './dataset.ts';
import { retentionText } from './retention.ts';

/**
 * The data export (R8a): one JSON document plus one CSV per category, in one zip. This module is
 * the pure half: which fields each category exports (an allow-list, field by field), how a record
 * becomes a row, and how a value becomes a CSV cell. The streaming writer
 * (render/export-zip.ts) drives it page by page and never holds a whole history.
 *
 * The JSON and the CSVs carry the same rows: a row's fields are the JSON object's keys and the
 * CSV's columns, after a first column `record` that says which kind of row it is.
 */
export const EXPORT_FORMAT = 'privacy-desk-export';
/** Bump on any change a reader would notice (a field renamed, removed or retyped). */
export const EXPORT_FORMAT_VERSION = 1;
export const EXPORT_JSON_NAME = 'export.json';
export const csvFileName = (category: Category): string => `${category}.csv`;

export type ExportValue = string | number | boolean | null;
export type ExportRow = Record<string, ExportValue>;

/** The record kinds the export pages through (the library-records source's kinds). */
export type ExportRecordTypes = RecordTypes;
export type ExportRecordKind = keyof ExportRecordTypes;

interface PartBase {
  /** The key under the category's `data` in the JSON. */
  name: string;
  /** The CSV `record` column's value for these rows. */
  record: string;
  /** Exactly the fields exported, in order; nothing else of the source reaches the file. */
  fields: readonly string[];
}

/** Rows taken from the patron's profile: small, known up front. */
export interface PatronPart extends PartBase {
  source: 'patron';
  /** One object (or null) in the JSON rather than a list. */
  single: boolean;
  rows: (patron: Patron) => ExportRow[];
}

/** Rows paged from the records source: any number, never held all at once. */
export type RecordsPart = {
  [K in ExportRecordKind]: PartBase & { source: 'records'; kind: K; row: (record: ExportRecordTypes[K]) => ExportRow };
}[ExportRecordKind];

export type ExportPart = PatronPart | RecordsPart;

export interface CategoryExport {
  category: Category;
  policy: CategoryPolicy;
  /** R18: how long it is kept: the periods the daily run enforces, from the same policy (domain/retention.ts). */
  retention: string;
  /** For categories whose data the library does not hold against the patron (R4, automatic): the statement, and no data. */
  statement?: string;
  parts: ExportPart[];
  /** `record`, then the union of the parts' fields. */
  csvColumns: string[];
}

/** R4: nothing of a residency or employment document is stored, so the export says so and holds nothing. */
export const RESIDENCY_STATEMENT =
  'Reviewed, not retained. The library keeps no copy of any document you showed; nothing from it is stored.';
export const NOT_LINKED_STATEMENT =
  'Stored without identity: not linked to you. The library cannot find any of it by your name or card.';

const STATEMENT_COLUMNS = ['record', 'handling', 'statement'];

/** Missing optional values are null, so every row has every field. */
const v = (x: ExportValue | undefined): ExportValue => (x === undefined ? null : x);

const PERSONAL_PARTS: ExportPart[] = [
  {
    source: 'patron',
    name: 'profile',
    record: 'profile',
    single: true,
    fields: [
      'cardNumber',
      'firstName',
      'lastName',
      'dateOfBirth',
      'email',
      'phone',
      'street',
      'city',
      'state',
      'postalCode',
      'enrolledOn',
      'expiresOn',
      'guardiansLinked',
    ],
    rows: (p) => [
      {
        cardNumber: p.cardNumber,
        firstName: p.firstName,
        lastName: p.lastName,
        dateOfBirth: p.dateOfBirth,
        email: v(p.email),
        phone: v(p.phone),
        street: v(p.address?.street),
        city: v(p.address?.city),
        state: v(p.address?.state),
        postalCode: v(p.address?.postalCode),
        enrolledOn: v(p.enrolledOn),
        expiresOn: v(p.expiresOn),
        // Guarantors are other patrons: naming them would disclose their data (R1), so a count.
        guardiansLinked: p.guarantorIds.length,
      },
    ],
  },
  {
    source: 'patron',
    name: 'paymentMethods',
    record: 'payment-method',
    single: false,
    fields: ['type', 'last4'],
    // The type and last four digits are all the library holds, and all that is exported.
    rows: (p) => p.paymentMethods.map((m) => ({ type: m.type, last4: m.last4 })),
  },
  {
    source: 'patron',
    name: 'linkedAccounts',
    record: 'linked-account',
    single: false,
    fields: ['service', 'externalId'],
    rows: (p) => p.linkedAccounts.map((l) => ({ service: l.service, externalId: l.externalId })),
  },
];

/** Username only: never a password, a hash, a security question's answer or its hash (POLICY.md table). */
const CREDENTIAL_PARTS: ExportPart[] = [
  {
    source: 'patron',
    name: 'account',
    record: 'account',
    single: true,
    fields: ['username'],
    rows: (p) => (p.username ? [{ username: p.username }] : []),
  },
];

const LIBRARY_RECORD_PARTS: ExportPart[] = [
  {
    source: 'records',
    kind: 'LOAN',
    name: 'loans',
    record: 'loan',
    fields: ['id', 'itemId', 'title', 'branch', 'checkedOutAt', 'dueAt', 'returnedAt'],
    row: (l) => ({
      id: l.id,
      itemId: l.itemId,
      title: l.title,
      branch: v(l.branch),
      checkedOutAt: l.checkedOutAt,
      dueAt: l.dueAt,
      returnedAt: v(l.returnedAt),
    }),
  },
  {
    source: 'records',
    kind: 'HOLD',
    name: 'holds',
    record: 'hold',
    fields: ['id', 'title', 'placedAt', 'status'],
    row: (h) => ({ id: h.id, title: h.title, placedAt: h.placedAt, status: h.status }),
  },
  {
    source: 'records',
    kind: 'PROGRAM',
    name: 'programs',
    record: 'program',
    fields: ['id', 'title', 'date', 'attended'],
    row: (p) => ({ id: p.id, title: p.title, date: p.date, attended: p.attended }),
  },
];

const PAYMENT_PARTS: ExportPart[] = [
  {
    source: 'records',
    kind: 'FINE',
    name: 'fines',
    record: 'fine',
    fields: ['id', 'amount', 'outstanding', 'reason', 'createdAt'],
    row: (f) => ({ id: f.id, amount: f.amount, outstanding: f.outstanding, reason: f.reason, createdAt: f.createdAt }),
  },
];

const DONATION_PARTS: ExportPart[] = [
  {
    source: 'records',
    kind: 'DONATION',
    name: 'donations',
    record: 'donation',
    fields: ['id', 'amount', 'date', 'campaign'],
    row: (d) => ({ id: d.id, amount: d.amount, date: d.date, campaign: v(d.campaign) }),
  },
];

const SHARED_CONTENT_PARTS: ExportPart[] = [
  {
    source: 'records',
    kind: 'SHARED',
    name: 'sharedContent',
    record: 'shared-content',
    fields: ['id', 'kind', 'title', 'text', 'createdAt'],
    row: (s) => ({ id: s.id, kind: s.kind, title: s.title, text: s.text, createdAt: s.createdAt }),
  },
];

const PARTS: Record<Category, ExportPart[]> = {
  personal: PERSONAL_PARTS,
  // Nothing of these is held against a patron, whatever the view setting says.
  residency: [],
  credentials: CREDENTIAL_PARTS,
  'library-records': LIBRARY_RECORD_PARTS,
  payments: PAYMENT_PARTS,
  donations: DONATION_PARTS,
  'shared-content': SHARED_CONTENT_PARTS,
  automatic: [],
};

const unionColumns = (parts: ExportPart[]): string[] => ['record', ...new Set(parts.flatMap((p) => p.fields))];

/**
 * What the export holds, category by category, in the canonical order (the POLICY.md table).
 * The policy's `view` decides whether a category exports data or only a statement; the field
 * allow-lists above decide which fields, whatever the view says (credentials stay username only).
 */
export function exportPlan(policy: Policy): CategoryExport[] {
  return CATEGORIES.map((category) => {
    const p = policy.categories[category];
    const retention = retentionText(category, policy);
    if (p.view === 'reviewed-not-retained')
      return {
        category,
        policy: p,
        retention,
        statement: RESIDENCY_STATEMENT,
        parts: [],
        csvColumns: STATEMENT_COLUMNS,
      };
    if (p.view === 'not-linked')
      return {
        category,
        policy: p,
        retention,
        statement: NOT_LINKED_STATEMENT,
        parts: [],
        csvColumns: STATEMENT_COLUMNS,
      };
    const parts = PARTS[category];
    return { category, policy: p, retention, parts, csvColumns: unionColumns(parts) };
  });
}

/** Writes one part's rows as JSON text and CSV lines; built once per part, used for every row. */
export interface RowWriter {
  /** The JSON object: exactly the part's fields, in order (a second allow-list after the mapper's). */
  json(row: ExportRow): string;
  /** The CSV line, in the category's columns. */
  csv(row: ExportRow): string;
}

export function rowWriter(c: CategoryExport, part: ExportPart): RowWriter {
  const fields = part.fields;
  const keys = fields.map((f, i) => `${i === 0 ? '{' : ','}${JSON.stringify(f)}:`);
  const record = csvCell(part.record);
  // Per column: the part's field to write, or '' for a column of another part of the category.
  const columns = c.csvColumns.map((col) => (col === 'record' ? null : fields.includes(col) ? col : ''));
  return {
    json(row) {
      if (fields.length === 0) return '{}';
      let out = '';
      for (let i = 0; i < fields.length; i++) out += (keys[i] as string) + JSON.stringify(v(row[fields[i] as string]));
      return `${out}}`;
    },
    csv(row) {
      let out = '';
      for (let i = 0; i < columns.length; i++) {
        const col = columns[i];
        if (i > 0) out += ',';
        out += col === null ? record : col ? csvCell(row[col]) : '';
      }
      return `${out}\r\n`;
    },
  };
}

export const csvStatementLine = (c: CategoryExport): string =>
  csvLine(['statement', c.policy.view, c.statement ?? null]);

/** The JSON's opening fields, before `categories`. */
export function exportHeader(o: {
  library: { name: string };
  generatedAt: string;
  requestId: string;
  verification: Verification;
}) {
  return {
    format: EXPORT_FORMAT,
    version: EXPORT_FORMAT_VERSION,
    generatedAt: o.generatedAt,
    library: { name: o.library.name },
    requestId: o.requestId,
    // R4: how identity was checked, never a document; the staff member is named by role only.
    verification: {
      method: o.verification.method,
      verifiedAt: o.verification.verifiedAt,
      ...(o.verification.verifiedByRole ? { verifiedByRole: o.verification.verifiedByRole } : {}),
    },
    files: { json: EXPORT_JSON_NAME, csv: CATEGORIES.map(csvFileName) },
  };
}

/** The category's description from the policy (R18), before its data. */
export const categoryHeader = (c: CategoryExport) => ({
  title: c.policy.title,
  what: c.policy.what,
  why: c.policy.why,
  sharedWith: c.policy.sharedWith,
  retention: c.retention,
  handling: c.policy.view,
});

// CSV --------------------------------------------------------------------------------------

/**
 * A spreadsheet treats a cell starting with one of these as a formula (CSV injection): = + - @,
 * tab and carriage return (OWASP), and their full-width forms, which some spreadsheets fold.
 */
const FORMULA_START = new Set([...'=+-@\t\r\uFF1D\uFF0B\uFF0D\uFF20'].map((ch) => ch.charCodeAt(0)));
const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One CSV cell (RFC 4180): a text starting like a formula gets a leading single quote so that a
 * spreadsheet shows it as text; a cell holding a quote, comma or line break is quoted, with
 * quotes doubled. Numbers and booleans are data, never formulas, and are written as they are;
 * null is an empty cell. The JSON keeps every value exactly as held.
 */
export function csvCell(value: ExportValue | undefined): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (typeof value === 'string' && FORMULA_START.has(s.charCodeAt(0))) s = `'${s}`;
  return NEEDS_QUOTES.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** RFC 4180 line ending. */
export const csvLine = (values: readonly (ExportValue | undefined)[]): string => `${values.map(csvCell).join(',')}\r\n`;

/**
 * A UTF-8 byte-order mark opens each CSV so that spreadsheets read accented names correctly
 * (without it Excel assumes a legacy code page); common CSV readers skip it.
 */
export const CSV_BOM = '\uFEFF';

export const csvHeader = (c: CategoryExport): string => `${CSV_BOM}${csvLine(c.csvColumns)}`;
