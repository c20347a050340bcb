import { describe, expect, it } from 'vitest';
import { IllegalTransitionError } from '../../functions/domain/errors.ts';
import { defaultPolicy } from '../../functions/domain/policy.ts';
import {
  REQUEST_STATUSES,
  TERMINAL_STATUSES,
  assertTransition,
  dueDate,
  isCancellable,
  publicView,
  sameLastName,
  type DeletionOutcome,
  type RequestRecord,
  type RequestStatus,
} from '../../functions/domain/request.ts';

const TERMINAL: RequestStatus[] = ['completed', 'denied', 'cancelled', 'expired', 'failed'];
const OPEN = REQUEST_STATUSES.filter((s) => !TERMINAL.includes(s));
const CANCELLABLE: RequestStatus[] = [
  'received',
  'verifying',
  'awaiting-consent',
  'awaiting-approval',
  'awaiting-staff',
];

describe('assertTransition (request lifecycle)', () => {
  it('CONTRACT lifecycle: the terminal statuses are exactly completed, denied, cancelled, expired and failed', () => {
    expect([...TERMINAL_STATUSES].sort()).toEqual([...TERMINAL].sort());
  });

  for (const from of TERMINAL) {
    it(`CONTRACT lifecycle: a ${from} request never moves again, to any status`, () => {
      for (const to of REQUEST_STATUSES)
        expect(() => assertTransition(from, to), `${from} → ${to}`).toThrow(IllegalTransitionError);
    });
  }

  it('CONTRACT lifecycle: an open request may move to any non-cancel status', () => {
    for (const from of OPEN)
      for (const to of REQUEST_STATUSES.filter((s) => s !== 'cancelled'))
        expect(() => assertTransition(from, to), `${from} → ${to}`).not.toThrow();
  });

  it.each(CANCELLABLE)('CONTRACT lifecycle: a %s request may be cancelled', (from) => {
    expect(isCancellable(from)).toBe(true);
    expect(() => assertTransition(from, 'cancelled')).not.toThrow();
  });

  it('CONTRACT lifecycle: once fulfilment has started (in-progress) a request cannot be cancelled', () => {
    expect(isCancellable('in-progress')).toBe(false);
    expect(() => assertTransition('in-progress', 'cancelled')).toThrow(IllegalTransitionError);
  });

  it('CONTRACT lifecycle: the refusal names the statuses, never request data', () => {
    expect(() => assertTransition('completed', 'in-progress')).toThrow(/completed.*in-progress/);
  });
});

describe('publicView (what a requester may see)', () => {
  const record = (over: Partial<RequestRecord> = {}): RequestRecord => ({
    requestId: '7d0c1a8e-2f4b-4c55-9a1e-3b7f0e9d2c11',
    kind: 'access',
    status: 'verifying',
    version: 3,
    createdAt: '2026-03-01T09:00:00.000Z',
    updatedAt: '2026-03-01T09:00:05.000Z',
    dueAt: '2026-03-31T09:00:00.000Z',
    statusKeyHash: 'a'.repeat(64),
    patronId: 'P1001',
    matched: true,
    verifyBy: '2026-03-04T09:00:00.000Z',
    executionId: 'exec-1',
    ...over,
  });
  const beforeDeadline = new Date('2026-03-04T08:59:59.999Z');
  const atDeadline = new Date('2026-03-04T09:00:00.000Z');

  it('R7: a verifying request shows verifying until verifyBy, and expired from verifyBy on', () => {
    expect(publicView(record(), beforeDeadline).status).toBe('verifying');
    expect(publicView(record(), atDeadline).status).toBe('expired');
    expect(publicView(record(), new Date('2027-01-01T00:00:00.000Z')).status).toBe('expired');
  });

  it('R1: an unmatched request looks exactly like a matched one waiting for verification', () => {
    const unmatched = record({ matched: false, patronId: undefined });
    for (const now of [beforeDeadline, atDeadline])
      expect(publicView(unmatched, now)).toEqual(publicView(record(), now));
  });

  it('R1/R4: an in-person verification (awaiting-staff, not yet verified) shows as verifying, like any other', () => {
    const inPerson = record({ status: 'awaiting-staff' });
    expect(publicView(inPerson, beforeDeadline)).toEqual(publicView(record(), beforeDeadline));
    expect(publicView(inPerson, beforeDeadline).status).toBe('verifying');
  });

  it('R7: awaiting-staff after verification (a manual task during fulfilment) shows awaiting-staff', () => {
    const verified = record({
      status: 'awaiting-staff',
      verification: { method: 'email-link', verifiedAt: '2026-03-02T10:00:00.000Z' },
    });
    expect(publicView(verified, beforeDeadline).status).toBe('awaiting-staff');
  });

  it('R7: a request past verifyBy that was already verified keeps its real status', () => {
    expect(publicView(record({ status: 'in-progress' }), atDeadline).status).toBe('in-progress');
    expect(publicView(record({ status: 'completed' }), atDeadline).status).toBe('completed');
  });

  it('R7: a verifying request without verifyBy never shows expired by itself', () => {
    expect(publicView(record({ verifyBy: undefined }), new Date('2030-01-01T00:00:00.000Z')).status).toBe('verifying');
  });

  it('R1/R5: the view carries only id, kind, status and dates; never patron, submitted identity, execution or failure', () => {
    const full = record({
      status: 'failed',
      submitted: { cardNumber: '21234000012345', lastName: 'Lovelace' },
      verification: {
        method: 'in-person',
        verifiedAt: '2026-03-02T10:00:00.000Z',
        verifiedByStaffId: 'desk@library.example',
        verifiedByRole: 'circulation',
        documentKind: 'driver-licence',
      },
      failure: { error: 'IntegrityError', at: '2026-03-02T10:00:00.000Z' },
      outcome: { erased: ['personal'], anonymised: [], retained: [] },
    });
    const view = publicView(full, beforeDeadline);
    expect(Object.keys(view).sort()).toEqual(['createdAt', 'dueAt', 'kind', 'requestId', 'status']);
    const text = JSON.stringify(view);
    for (const secret of [
      'P1001',
      '21234000012345',
      'Lovelace',
      'desk@library.example',
      'exec-1',
      'IntegrityError',
      'a'.repeat(64),
    ])
      expect(text).not.toContain(secret);
  });

  it('R8: the outcome is shown only when the request is completed, or waiting (so far, in the same shape)', () => {
    const outcome: DeletionOutcome = {
      erased: ['personal'],
      anonymised: ['library-records'],
      retained: [{ category: 'payments', reason: 'outstanding-balance' }],
    };
    expect(publicView(record({ status: 'completed', outcome }), beforeDeadline).outcome).toEqual(outcome);
    expect(publicView(record({ status: 'waiting', outcome }), beforeDeadline).outcome).toEqual(outcome);
    for (const status of REQUEST_STATUSES.filter((s) => s !== 'completed' && s !== 'waiting'))
      expect(publicView(record({ status, outcome }), beforeDeadline), status).not.toHaveProperty('outcome');
  });

  it('R8: a completed request without an outcome has no outcome key', () => {
    expect(publicView(record({ status: 'completed' }), beforeDeadline)).not.toHaveProperty('outcome');
  });
});

describe('sameLastName (matching a requester to a patron)', () => {
  it.each([
    ['Lovelace', 'Lovelace'],
    ['Lovelace', 'LOVELACE'],
    ['Lovelace', 'lovelace'],
    ['Brontë', 'Bronte'],
    ['Müller', 'MULLER'],
    ['Núñez', 'nunez'],
    ['Łódź'.normalize('NFC'), 'Łódź'.normalize('NFD')],
    ["O'Brien", 'O’Brien'],
    ["O'Brien", 'obrien'],
    ["D'Angelo", 'D`Angelo'],
    ['Smith-Jones', 'Smith Jones'],
    ['Smith-Jones', 'smithjones'],
    ['van der Berg', 'Vanderberg'],
    ['St. John', 'St John'],
    ['Lovelace', '  Lovelace  '],
    ['Lovelace', 'Lovelace\u00a0'],
  ])('R7: %j matches %j', (a, b) => {
    expect(sameLastName(a, b)).toBe(true);
    expect(sameLastName(b, a)).toBe(true);
  });

  it.each([
    ['Lovelace', 'Lovelac'],
    ['Lovelace', 'Lovelace2'],
    ['Byron', 'Lovelace'],
    ['Smith', 'Smyth'],
    ['Lovelace', '%'],
    ['Lovelace', 'Lovelace*'],
  ])('R7: %j does not match %j', (a, b) => {
    expect(sameLastName(a, b)).toBe(false);
  });

  it.each([
    ['', ''],
    ['   ', '   '],
    ["'", "'"],
    ['-', '’'],
    ['.', ' '],
    ['\u0301', ''],
  ])('R7: names that normalise to nothing never match (%j, %j)', (a, b) => {
    expect(sameLastName(a, b)).toBe(false);
  });

  it('R7: an empty name never matches a real one', () => {
    expect(sameLastName('', 'Lovelace')).toBe(false);
    expect(sameLastName('Lovelace', '')).toBe(false);
  });
});

describe('dueDate (R15)', () => {
  const created = new Date('2026-03-01T09:00:00.000Z');

  it('R15: the default deadline is 30 days after receipt', () => {
    expect(dueDate(created, defaultPolicy.deadlines.defaultDays)).toBe('2026-03-31T09:00:00.000Z');
  });

  it('R15: the deadline is configurable in days, as an ISO timestamp in UTC', () => {
    expect(dueDate(created, 1)).toBe('2026-03-02T09:00:00.000Z');
    expect(dueDate(created, 45)).toBe('2026-04-15T09:00:00.000Z');
  });

  it('R15: days are whole 24-hour days, unaffected by daylight-saving changes (US DST starts 2026-03-08)', () => {
    const due = dueDate(created, 30);
    expect(Date.parse(due) - created.getTime()).toBe(30 * 24 * 3600 * 1000);
  });

  it('R15: crosses a leap day correctly', () => {
    expect(dueDate(new Date('2028-02-15T00:00:00.000Z'), 30)).toBe('2028-03-16T00:00:00.000Z');
  });
});
