import { describe, expect, it } from 'vitest';
import type { AnyRequestFields, DeletionOutcome, RequestRecord } from '../../functions/domain/request.ts';
import {
  TOMBSTONE_DROPPED,
  TOMBSTONE_KEPT_AS_IS,
  TOMBSTONE_REDUCED,
  codesOnly,
  tombstone,
  tombstoneCutoff,
  tombstoneDue,
} from '../../functions/domain/tombstone.ts';

const AT = new Date('2027-03-01T08:00:00.000Z');
const STAFF = 'kevin.park@library.example';
const COUNSEL = 'counsel@library.example';

/** A closed request with every field a request of any kind has, each holding what it holds in real life. */
function fullRecord(): Required<AnyRequestFields> & { kind: 'third-party'; tombstonedAt: string } {
  return {
    requestId: '6f1c2b9e-1d4a-4e7b-9c3f-2a8d5e6f7a10',
    kind: 'third-party',
    status: 'completed',
    version: 12,
    createdAt: '2026-11-01T10:00:00.000Z',
    updatedAt: '2026-11-20T10:00:00.000Z',
    dueAt: '2026-12-01T10:00:00.000Z',
    statusKeyHash: 'a'.repeat(64),
    patronId: 'P1001',
    submitted: { cardNumber: '21234000012345', lastName: 'Lovelace' },
    matched: true,
    verifyBy: '2026-11-04T10:00:00.000Z',
    verification: {
      method: 'in-person',
      verifiedAt: '2026-11-02T10:00:00.000Z',
      verifiedByRole: 'circulation',
      verifiedByStaffId: STAFF,
      documentKind: 'drivers-licence',
    },
    executionId: 'local:third-party:6f1c2b9e-1d4a-4e7b-9c3f-2a8d5e6f7a10',
    outcome: {
      erased: ['personal'],
      retained: [{ category: 'payments', reason: 'money-outstanding' }],
      note: 'Ada Lovelace asked us to hurry',
      contact: 'ada@example.org',
      count: 3,
      // Stored data may hold more than its type says: the tombstone keeps codes only, whatever it finds.
    } as unknown as DeletionOutcome,
    failure: { error: 'TransientError', at: '2026-11-03T10:00:00.000Z' },
    changes: {
      lastName: 'Byron',
      email: 'ada@new.example.org',
      address: { street: '1 Main St', city: 'Greenwich', state: 'CT', postalCode: '06830' },
    },
    plan: {
      version: 1,
      mode: 'partial',
      steps: [{ category: 'library-records', action: 'anonymise', count: 2 }],
      blockers: [],
      stopOutreach: true,
      asOf: '2026-11-10',
      timezone: 'America/New_York',
    },
    decisions: [
      {
        step: 'third-party',
        decision: 'approve',
        byStaffId: 'privacy@library.example',
        role: 'privacy-officer',
        at: '2026-11-10T10:00:00.000Z',
        reason: 'Her lawyer, Mr Smith, called me about it',
      },
    ],
    denial: { code: 'rejected', reason: 'We could not reach Dr. Jones at 555-0100', at: '2026-11-11T10:00:00.000Z' },
    contactEmail: 'ada@example.org',
    previousEmail: 'ada@old.example.org',
    submittedEmail: 'ada@giving.example.org',
    donorId: 'D2001',
    waitingSince: '2026-11-02T09:00:00.000Z',
    approvalRounds: { 'third-party': 1 },
    deskCheck: { via: 'second-staff', firstSub: 'local-aaa', firstStaffId: STAFF, secondSub: 'local-bbb' },
    handOver: { status: 'done', bySub: 'local-bbb', byStaffId: STAFF, documentKind: 'photo-id' },
    requesterPatronId: 'P1002',
    submittedChild: { cardNumber: '21234000019999', lastName: 'Child' },
    guardianLink: 'linked',
    ageBand: 'consent-age',
    guardianLinkCheck: {
      byStaffId: STAFF,
      role: 'circulation',
      documentKind: 'birth-certificate',
      at: '2026-11-05T10:00:00.000Z',
    },
    consent: {
      decision: 'consent',
      at: '2026-11-06T10:00:00.000Z',
      channel: 'in-person',
      recordedByStaffId: STAFF,
      recordedByRole: 'circulation',
      categories: ['library-records'],
    },
    thirdParty: {
      categories: ['library-records'],
      name: 'Sam Smith',
      email: 'sam@lawfirm.example',
      organization: 'Smith & Co',
      purpose: 'Her divorce case',
    },
    disclosedTo: DISCLOSED_TO,
    orderId: '0b7e3d2c-9a8f-4e1d-8c7b-6a5f4e3d2c1b',
    submittedByStaff: COUNSEL,
    closedAt: '2026-11-20T10:00:00.000Z',
    tombstonedAt: undefined as unknown as string,
    extension: {
      days: 14,
      reason: 'Waiting for Dr. Jones of Greenwich Hospital',
      byStaffId: STAFF,
      role: 'circulation',
      at: '2026-11-15T10:00:00.000Z',
      previousDueAt: '2026-12-01T10:00:00.000Z',
      newDueAt: '2026-12-15T10:00:00.000Z',
    },
  };
}

/** R14: the retained disclosure record: the third party (not the patron), the scope and the permission. */
const DISCLOSED_TO = {
  recipient: { name: 'Sam Smith', organization: 'Smith & Co', email: 'sam@lawfirm.example' },
  categories: ['library-records' as const],
  permission: { at: '2026-11-06T10:00:00.000Z', channel: 'in-person' as const, by: 'patron' as const },
  releasedAt: '2026-11-12T10:00:00.000Z',
};

const PERSONAL = [
  '21234000012345',
  'Lovelace',
  'Byron',
  'ada@',
  '1 Main St',
  'Sam Smith',
  'lawfirm',
  'Smith & Co',
  'divorce',
  'Mr Smith',
  'Dr. Jones',
  '555-0100',
  STAFF,
  COUNSEL,
  'privacy@library.example',
  'Child',
  '21234000019999',
  'hurry',
  'D2001',
];

describe('tombstone (R16)', () => {
  it('R16: every field of a request record is either kept, reduced or dropped, by name (a new field must be decided on)', () => {
    const named = new Set<string>([
      ...TOMBSTONE_KEPT_AS_IS,
      ...TOMBSTONE_REDUCED,
      ...TOMBSTONE_DROPPED,
      'tombstonedAt',
    ]);
    expect(Object.keys(fullRecord()).filter((k) => !named.has(k))).toEqual([]);
  });

  it('R16: a tombstone keeps ids, kind, status, dates and codes, and no personal data', () => {
    const t = tombstone(fullRecord(), AT);
    // R14: the disclosure record names the third party it went to (checked on its own below); nothing else may.
    const text = JSON.stringify({ ...t, disclosedTo: undefined });
    for (const p of PERSONAL) expect(text, p).not.toContain(p);
    expect(t).toEqual({
      requestId: '6f1c2b9e-1d4a-4e7b-9c3f-2a8d5e6f7a10',
      kind: 'third-party',
      status: 'completed',
      version: 12,
      createdAt: '2026-11-01T10:00:00.000Z',
      updatedAt: '2026-11-20T10:00:00.000Z',
      dueAt: '2026-12-01T10:00:00.000Z',
      closedAt: '2026-11-20T10:00:00.000Z',
      statusKeyHash: 'a'.repeat(64),
      disclosedTo: DISCLOSED_TO,
      // R16: no patron id, no requesting guardian's id (nor a donor's): nothing finds it by person.
      orderId: '0b7e3d2c-9a8f-4e1d-8c7b-6a5f4e3d2c1b',
      executionId: 'local:third-party:6f1c2b9e-1d4a-4e7b-9c3f-2a8d5e6f7a10',
      matched: true,
      verifyBy: '2026-11-04T10:00:00.000Z',
      guardianLink: 'linked',
      ageBand: 'consent-age',
      approvalRounds: { 'third-party': 1 },
      // R4: how, when and which role; not who.
      verification: {
        method: 'in-person',
        verifiedAt: '2026-11-02T10:00:00.000Z',
        verifiedByRole: 'circulation',
        documentKind: 'drivers-licence',
      },
      decisions: [
        { step: 'third-party', decision: 'approve', role: 'privacy-officer', at: '2026-11-10T10:00:00.000Z' },
      ],
      denial: { code: 'rejected', at: '2026-11-11T10:00:00.000Z' },
      failure: { error: 'TransientError', at: '2026-11-03T10:00:00.000Z' },
      // Codes and counts stay; free text and an email do not.
      outcome: { erased: ['personal'], retained: [{ category: 'payments', reason: 'money-outstanding' }], count: 3 },
      guardianLinkCheck: { role: 'circulation', documentKind: 'birth-certificate', at: '2026-11-05T10:00:00.000Z' },
      consent: {
        decision: 'consent',
        at: '2026-11-06T10:00:00.000Z',
        channel: 'in-person',
        recordedByRole: 'circulation',
        categories: ['library-records'],
      },
      thirdParty: { categories: ['library-records'] },
      extension: {
        days: 14,
        role: 'circulation',
        at: '2026-11-15T10:00:00.000Z',
        previousDueAt: '2026-12-01T10:00:00.000Z',
        newDueAt: '2026-12-15T10:00:00.000Z',
      },
      tombstonedAt: AT.toISOString(),
    });
  });

  it('R14 R16: the disclosure record keeps to whom, what and on whose permission; never the purpose or anything of the patron', () => {
    const t = tombstone(fullRecord(), AT);
    expect(t.disclosedTo).toEqual(DISCLOSED_TO);
    const record = JSON.stringify(t.disclosedTo);
    for (const p of ['divorce', 'Lovelace', '21234000012345', 'ada@', 'P1001']) expect(record, p).not.toContain(p);
  });

  it('R16: the contact address, typed identities, requested changes, the plan and the paused clock are gone', () => {
    const t = tombstone(fullRecord(), AT) as unknown as Record<string, unknown>;
    for (const f of [
      'contactEmail',
      'submitted',
      'submittedChild',
      'changes',
      'plan',
      'waitingSince',
      'submittedByStaff',
    ])
      expect(t[f], f).toBeUndefined();
  });

  it('R16: a field nobody has decided on is dropped', () => {
    const r = { ...fullRecord(), freeNote: 'Ada said she moved to Byron Bay' } as unknown as RequestRecord;
    expect(JSON.stringify(tombstone(r, AT))).not.toContain('Byron');
  });

  it('R16: tombstoning is idempotent and keeps the first tombstone date', () => {
    const once = tombstone(fullRecord(), AT);
    expect(tombstone(once, new Date('2027-04-01T00:00:00.000Z'))).toEqual(once);
  });

  it('R16: a minimal access request keeps what it has and gains nothing', () => {
    const r: RequestRecord = {
      requestId: 'r1',
      kind: 'access',
      status: 'expired',
      version: 3,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-05T00:00:00.000Z',
      dueAt: '2026-01-31T00:00:00.000Z',
      statusKeyHash: 'h',
      matched: false,
    };
    expect(tombstone(r, AT)).toEqual({ ...r, tombstonedAt: AT.toISOString() });
  });

  it('R16: an error message (not a name) is not kept', () => {
    const r = {
      ...fullRecord(),
      failure: { error: 'could not email ada@example.org', at: '2026-11-03T10:00:00.000Z' },
    };
    expect(tombstone(r, AT).failure).toEqual({ error: 'error', at: '2026-11-03T10:00:00.000Z' });
  });

  it('R16: codesOnly keeps codes, dates, numbers and booleans, and drops text', () => {
    expect(
      codesOnly({
        a: 'library-records',
        b: 'Some words here',
        c: 2,
        d: true,
        e: '2026-01-01',
        f: ['x', 'Two words'],
        g: { h: 'a@b.c' },
      }),
    ).toEqual({ a: 'library-records', c: 2, d: true, e: '2026-01-01', f: ['x'] });
    expect(codesOnly('x'.repeat(65))).toBeUndefined();
  });

  it('R16: a request is due for its tombstone tombstoneAfterDays after it closed', () => {
    const closed = '2026-11-20T10:00:00.000Z';
    expect(tombstoneDue(closed, new Date('2027-02-18T09:59:59.999Z'), 90)).toBe(false);
    expect(tombstoneDue(closed, new Date('2027-02-18T10:00:00.000Z'), 90)).toBe(true);
    expect(tombstoneDue(undefined, AT, 90)).toBe(false);
    expect(tombstoneCutoff(new Date('2027-02-18T10:00:00.000Z'), 90)).toBe(closed);
  });
});
