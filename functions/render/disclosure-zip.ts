import { createHash } from 'node:crypto';
import type { PassThrough } from 'node:stream';
import { ZipFile } from 'yazl';
import type { Category } from '../domain/categories.ts';
import {
  DATE_FIELD,
  DATE_FIELD_WORDS,
  dayOf,
  ORDER_TYPE_WORDS,
  withinRange,
  type CourtOrder,
} from '../domain/court-order.ts';
import { IntegrityError } from '../domain/errors.ts';
import {
  csvFileName,
  csvHeader,
  csvStatementLine,
  exportPlan,
  rowWriter,
  type ExportRecordKind,
  type ExportRecordTypes,
  type ExportRow,
} from '../domain/export-format.ts';
import type { Policy } from '../domain/policy.ts';
import type { StaffDecision } from '../domain/request.ts';
import type { Patron } from '../domain/dataset.ts';
import type { ExportSource } from './export-zip.ts';
import type { SystemSummary } from './report.ts';

/**
 * R12: the disclosure package under a court order. Only the categories the order names, and of
 * their dated records only those within the order's range, in the export's own formats
 * (domain/export-format.ts: the same field allow-lists, JSON rows and CSV cells, so credentials stay
 * username only and CSV cells cannot become formulas), plus a cover sheet naming the order, its
 * document's SHA-256 and who approved it. One zip: cover-sheet.txt, disclosure.json, one CSV per
 * named category.
 *
 * Unlike the full export (render/export-zip.ts), which streams a whole history, a disclosure is
 * bounded by the order's scope, so its rows are gathered in memory from one read: the JSON and the
 * CSVs are the same snapshot, and the package's hash is known before it is stored.
 */
export const DISCLOSURE_FORMAT = 'privacy-desk-disclosure';
export const DISCLOSURE_FORMAT_VERSION = 1;
export const DISCLOSURE_JSON_NAME = 'disclosure.json';
export const COVER_SHEET_NAME = 'cover-sheet.txt';

export interface DisclosureInput {
  policy: Policy;
  library: { name: string; timezone: string };
  generatedAt: string;
  requestId: string;
  order: CourtOrder;
  /** The two approvals (R12), in order. */
  approvals: StaffDecision[];
  patron: Patron;
  source: ExportSource;
  /** R19: the systems searched for the order, and what each answered. */
  systems?: SystemSummary[];
}

export interface DisclosurePackage {
  zip: Buffer;
  /** SHA-256 of the zip, hex (for the audit trail). */
  sha256: string;
  entries: string[];
  /** Rows per named category. */
  rows: Partial<Record<Category, number>>;
}

const STEP_WORDS: Record<string, string> = { 'court-order-review': 'Reviewed', 'court-order-authorise': 'Authorised' };

export async function buildDisclosurePackage(input: DisclosureInput): Promise<DisclosurePackage> {
  const { order } = input;
  const named = new Set(order.categories);
  const plan = exportPlan(input.policy).filter((c) => named.has(c.category));
  const range = { ...(order.from ? { from: order.from } : {}), ...(order.to ? { to: order.to } : {}) };
  const rows: Partial<Record<Category, number>> = {};
  const csv = new Map<Category, string>();
  const jsonCategories: string[] = [];
  const kindsUsed: ExportRecordKind[] = [];

  for (const c of plan) {
    const head = `${JSON.stringify(c.category)}:{"title":${JSON.stringify(c.policy.title)},"handling":${JSON.stringify(c.policy.view)}`;
    if (c.statement !== undefined) {
      // Nothing of it is held against the patron (R4, automatic data): a statement, no rows.
      csv.set(c.category, csvHeader(c) + csvStatementLine(c));
      rows[c.category] = 0;
      jsonCategories.push(`${head},"statement":${JSON.stringify(c.statement)}}`);
      continue;
    }
    let text = csvHeader(c);
    let count = 0;
    const parts: string[] = [];
    for (const part of c.parts) {
      const writer = rowWriter(c, part);
      if (part.source === 'patron') {
        // The profile has no date of its own: disclosed as held today, and only when the order names it.
        const items = part.rows(input.patron);
        for (const r of items) text += writer.csv(r);
        count += items.length;
        parts.push(
          `${JSON.stringify(part.name)}:${part.single ? (items[0] ? writer.json(items[0]) : 'null') : `[${items.map((r) => writer.json(r)).join(',')}]`}`,
        );
        continue;
      }
      kindsUsed.push(part.kind);
      const json: string[] = [];
      const dateField = DATE_FIELD[part.kind];
      const mapRow = part.row as (r: ExportRecordTypes[ExportRecordKind]) => ExportRow;
      for await (const page of input.source.records(part.kind)) {
        for (const record of page) {
          // A record of another patron here would disclose someone else's data (R1): stop, do not filter.
          if (record.patronId !== input.patron.id)
            throw new IntegrityError(`${part.name} record ${record.id} does not belong to the order's patron`);
          const when: unknown = Reflect.get(record, dateField);
          if (typeof when !== 'string' || !withinRange(dayOf(when, input.library.timezone), range)) continue;
          const row = mapRow(record);
          json.push(writer.json(row));
          text += writer.csv(row);
          count++;
        }
      }
      parts.push(`${JSON.stringify(part.name)}:[${json.join(',')}]`);
    }
    csv.set(c.category, text);
    rows[c.category] = count;
    jsonCategories.push(`${head},"data":{${parts.join(',')}}}`);
  }

  const approvals = input.approvals.map((d) => ({
    step: d.step,
    decision: d.decision,
    by: d.byStaffId,
    role: d.role,
    at: d.at,
  }));
  const entries = [COVER_SHEET_NAME, DISCLOSURE_JSON_NAME, ...plan.map((c) => csvFileName(c.category))];
  const cover = {
    legalBasis: 'court-order',
    order: {
      kind: order.orderType,
      court: order.court,
      caseNumber: order.caseNumber,
      issuedOn: order.issuedOn,
      documentSha256: order.file?.sha256 ?? null,
    },
    scope: {
      cardNumber: input.patron.cardNumber,
      categories: plan.map((c) => c.category),
      from: order.from ?? null,
      to: order.to ?? null,
      timezone: input.library.timezone,
      datedBy: Object.fromEntries(kindsUsed.map((k) => [k, DATE_FIELD[k]])),
    },
    approvals,
    ...(input.systems ? { systems: input.systems.map(systemJson) } : {}),
  };
  const jsonText = `{"format":${JSON.stringify(DISCLOSURE_FORMAT)},"version":${DISCLOSURE_FORMAT_VERSION},"generatedAt":${JSON.stringify(input.generatedAt)},"library":${JSON.stringify({ name: input.library.name })},"requestId":${JSON.stringify(input.requestId)},"cover":${JSON.stringify(cover)},"categories":{${jsonCategories.join(',')}}}\n`;

  const zip = new ZipFile();
  const options = { mtime: new Date(input.generatedAt), mode: 0o100600, compress: true };
  zip.addBuffer(
    Buffer.from(
      coverSheet(
        input,
        plan.map((c) => c.category),
        kindsUsed,
        rows,
      ),
      'utf8',
    ),
    COVER_SHEET_NAME,
    options,
  );
  zip.addBuffer(Buffer.from(jsonText, 'utf8'), DISCLOSURE_JSON_NAME, options);
  for (const c of plan) zip.addBuffer(Buffer.from(csv.get(c.category) ?? '', 'utf8'), csvFileName(c.category), options);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as PassThrough) chunks.push(chunk as Buffer);
  const buf = Buffer.concat(chunks);
  return { zip: buf, sha256: createHash('sha256').update(buf).digest('hex'), entries, rows };
}

/**
 * R19: what each system answered. Counts are left out: they cover every record of the named
 * categories, while the package holds only those within the order's dates.
 */
const systemJson = (s: SystemSummary) => ({
  id: s.id,
  name: s.name,
  handledBy: s.manual ? 'staff' : 'connector',
  result: s.answer,
  ...(s.answeredAt ? { answeredAt: s.answeredAt } : {}),
});

const SEARCHED: Record<SystemSummary['answer'], (s: SystemSummary) => string> = {
  done: (s) =>
    s.manual
      ? `handled by library staff${s.answeredAt ? ` on ${s.answeredAt.slice(0, 10)}` : ''} (not in this package)`
      : 'read; its records are in this package',
  'not-held': () => 'holds no record of the card named',
  'could-not': () => 'library staff could not complete it; the privacy officer follows it up',
  waiting: () => 'not answered yet',
};

// At least one space after the colon, so a long label (a system's name) stays readable.
const line = (label: string, value: string) => `${`${label}: `.padEnd(22)}${value}`;

function coverSheet(
  input: DisclosureInput,
  categories: Category[],
  kinds: ExportRecordKind[],
  rows: Partial<Record<Category, number>>,
): string {
  const { order } = input;
  const dates =
    order.from || order.to ? `${order.from ?? 'any date'} to ${order.to ?? 'any date'}, both included` : 'any date';
  const out = [
    'DISCLOSURE UNDER A COURT ORDER',
    '',
    line('Library', input.library.name),
    line('Prepared', input.generatedAt),
    line('Legal basis', 'court-order (Connecticut General Statutes §11-25(b))'),
    line('Request', input.requestId),
    '',
    'THE ORDER',
    line('Kind', ORDER_TYPE_WORDS[order.orderType]),
    line('Court', order.court),
    line('Case number', order.caseNumber),
    line('Issued', order.issuedOn),
    line('Document SHA-256', order.file?.sha256 ?? '(none)'),
    '',
    'WHAT IS DISCLOSED',
    line('Library card named', input.patron.cardNumber),
    line('Categories', categories.join(', ')),
    line('Dates', `${dates} (days in ${input.library.timezone})`),
    ...(kinds.length ? [line('Records dated by', kinds.map((k) => DATE_FIELD_WORDS[k]).join('; '))] : []),
    ...(categories.includes('personal') || categories.includes('credentials')
      ? [line('Personal details', `as held on ${input.generatedAt.slice(0, 10)}`)]
      : []),
    'Nothing outside these categories and dates is included.',
    '',
    ...(input.systems
      ? ['SYSTEMS SEARCHED', ...input.systems.map((s) => line(s.name, SEARCHED[s.answer](s))), '']
      : []),
    'APPROVED BY (two different people)',
    ...input.approvals.map((d) => line(STEP_WORDS[d.step] ?? d.step, `${d.byStaffId} (${d.role}), ${d.at}`)),
    '',
    'FILES',
    line(COVER_SHEET_NAME, 'this sheet'),
    line(DISCLOSURE_JSON_NAME, 'every category below, machine-readable'),
    ...categories.map((c) => line(csvFileName(c), `${rows[c] ?? 0} row${rows[c] === 1 ? '' : 's'}`)),
    '',
  ];
  return out.join('\r\n');
}
