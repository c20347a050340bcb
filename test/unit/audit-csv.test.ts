import { describe, expect, it } from 'vitest';
import { AUDIT_CSV_COLUMNS, auditToCsv } from '../../functions/domain/audit-csv.ts';
import { type AuditEvent, type AuditValue } from '../../functions/domain/audit.ts';
import { chainOf, checkUnder } from '../support/audit-chain.ts';
import { testAuditKey } from '../support/audit-key.ts';
import { parseCsv } from '../support/csv.ts';

const REQUEST_ID = '7d0c1a8e-2f4b-4c55-9a1e-3b7f0e9d2c11';

const key = testAuditKey();

const events = await chainOf(
  key,
  REQUEST_ID,
  [
    { eventId: 'received', type: 'request-received', actor: { kind: 'requester' }, data: { kind: 'access' } },
    { eventId: 'matched', type: 'patron-matched', actor: { kind: 'system' }, data: { patronId: 'P1001' } },
    {
      eventId: 'staff-read:1',
      type: 'staff-read',
      actor: { kind: 'staff', id: '=HYPERLINK("http://x")', role: 'privacy-officer' },
      data: { fields: ['status', 'kind'], purpose: '+1, "quoted"\r\nline' },
    },
    {
      eventId: 'due-escalated:2026-03-31T09:00:00.000Z',
      type: 'due-date-escalated',
      actor: { kind: 'system' },
      data: { dueAt: '2026-03-31T09:00:00.000Z', role: 'privacy-officer', recipients: 2, none: null },
    },
  ],
  Date.UTC(2026, 2, 1, 9, 0),
);

describe('auditToCsv (R17)', () => {
  it('R17: a header and one CRLF row per event, in chain order, with a byte-order mark', () => {
    const csv = auditToCsv(events);
    expect(csv.startsWith('\uFEFF')).toBe(true);
    const rows = parseCsv(csv);
    expect(rows[0]).toEqual([...AUDIT_CSV_COLUMNS]);
    expect(rows.slice(1).map((r) => r[1])).toEqual(['1', '2', '3', '4']);
    expect(csv.endsWith('\r\n')).toBe(true);
  });

  it('R17: formula-injection safe: a cell that starts like a formula is shown as text', () => {
    const rows = parseCsv(auditToCsv(events));
    expect(rows[3]?.[AUDIT_CSV_COLUMNS.indexOf('actorId')]).toBe(`'=HYPERLINK("http://x")`);
    for (const row of rows) for (const cell of row) expect(/^[=+\-@\t\r]/.test(cell), cell).toBe(false);
  });

  it('R17: commas, quotes and line breaks survive (RFC 4180 quoting), and the chain re-verifies from the file alone (with the key)', async () => {
    const rows = parseCsv(auditToCsv(events)).slice(1);
    const col = (name: (typeof AUDIT_CSV_COLUMNS)[number]) => AUDIT_CSV_COLUMNS.indexOf(name);
    const back: AuditEvent[] = rows.map((r) => ({
      requestId: r[col('requestId')] as string,
      seq: Number(r[col('seq')]),
      at: r[col('at')] as string,
      eventId: r[col('eventId')] as string,
      type: r[col('type')] as string,
      actor: {
        kind: r[col('actorKind')] as AuditEvent['actor']['kind'],
        ...(r[col('actorId')] ? { id: (r[col('actorId')] as string).replace(/^'(?=[=+\-@\t\r])/, '') } : {}),
        ...(r[col('actorRole')] ? { role: r[col('actorRole')] as string } : {}),
      },
      data: JSON.parse(r[col('data')] as string) as Record<string, AuditValue>,
      prevHash: r[col('prevHash')] as string,
      hash: r[col('hash')] as string,
    }));
    expect(back[2]?.data?.purpose).toBe('+1, "quoted"\r\nline');
    expect(await checkUnder(key, back)).toEqual({ ok: true, count: 4 });
  });

  it('R17: an empty trail is just the header', () => {
    expect(auditToCsv([])).toBe(`\uFEFF${AUDIT_CSV_COLUMNS.join(',')}\r\n`);
  });
});
