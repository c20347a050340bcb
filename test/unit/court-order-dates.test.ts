import { describe, expect, it } from 'vitest';
import { isoDateIn } from '../../functions/domain/age.ts';
import {
  courtOrderDueAt,
  documentRetentionDaysOf,
  documentsDeleteFrom,
  noticeAllowed,
  startOfDayIn,
} from '../../functions/domain/court-order.ts';
import { defaultPolicy, policySchema } from '../../functions/domain/policy.ts';

/** The pure rules behind a court order's dates (R12, R13a, R15, R16). */
describe('court-order dates', () => {
  it('a library day begins at its local midnight, on both sides of a daylight-saving change', () => {
    for (const [day, tz] of [
      ['2026-03-08', 'America/New_York'], // clocks go forward at 02:00
      ['2026-11-01', 'America/New_York'], // clocks go back at 02:00
      ['2026-07-15', 'Pacific/Kiritimati'],
      ['2026-07-15', 'Pacific/Pago_Pago'],
    ] as const) {
      const start = startOfDayIn(day, tz);
      expect(isoDateIn(start, tz)).toBe(day);
      expect(isoDateIn(new Date(start.getTime() - 1), tz)).not.toBe(day);
    }
    expect(startOfDayIn('2026-03-08', 'America/New_York').toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(startOfDayIn('2026-11-01', 'America/New_York').toISOString()).toBe('2026-11-01T04:00:00.000Z');
  });

  it('R15 R12 a return date sooner than the policy deadline is the due date; a later one changes nothing', () => {
    const policyDue = '2026-12-31T15:00:00.000Z';
    expect(courtOrderDueAt(policyDue, undefined, 'America/New_York')).toBe(policyDue);
    expect(courtOrderDueAt(policyDue, '2026-12-15', 'America/New_York')).toBe('2026-12-15T05:00:00.000Z');
    expect(courtOrderDueAt(policyDue, '2027-01-15', 'America/New_York')).toBe(policyDue);
  });

  it('R13a notice is allowed only once the last day of nondisclosure has ended everywhere', () => {
    const sealed = { nondisclosure: true, nondisclosureEndsOn: '2027-02-18' };
    expect(noticeAllowed({ nondisclosure: false }, new Date('2020-01-01T00:00:00Z'))).toBe(true);
    expect(noticeAllowed({ nondisclosure: true }, new Date('2100-01-01T00:00:00Z'))).toBe(false);
    // The 18th ends last at UTC-12: 12:00 UTC on the 19th.
    expect(noticeAllowed(sealed, new Date('2027-02-19T11:59:59.999Z'))).toBe(false);
    expect(noticeAllowed(sealed, new Date('2027-02-19T12:00:00.000Z'))).toBe(true);
  });

  it("R16 an order's own documents period wins over the library's; the period counts whole days from the close", () => {
    const policy = policySchema.parse({
      ...structuredClone(defaultPolicy),
      courtOrders: { documentRetentionDays: 400 },
    });
    expect(documentRetentionDaysOf({}, policy)).toBe(400);
    expect(documentRetentionDaysOf({ documentRetentionDays: 60 }, policy)).toBe(60);
    expect(documentsDeleteFrom('2026-01-01T10:00:00.000Z', 60)).toBe('2026-03-02T10:00:00.000Z');
    expect(defaultPolicy.courtOrders.documentRetentionDays).toBe(3 * 365);
    expect(() =>
      policySchema.parse({ ...structuredClone(defaultPolicy), courtOrders: { documentRetentionDays: 5 } }),
    ).toThrow();
  });
});
