import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { approvalConflict, eligibleApprovers } from '../../functions/domain/approvals.ts';
import {
  dayOf,
  holdLapseInstant,
  incomingKey,
  MAX_ORDER_BYTES,
  validateCourtOrderInput,
  withinRange,
} from '../../functions/domain/court-order.ts';
import { InvalidInputError } from '../../functions/domain/errors.ts';
import type { StaffDecision } from '../../functions/domain/request.ts';
import { amzDates, presignedPostPolicy } from '../../functions/adapters/s3/documents.ts';
import { checkPdf } from '../../functions/domain/pdf-check.ts';

/** R12 metadata, R12 date scope, R12 separation of duties, the R12 upload policy: pure rules. */
const TODAY = '2026-12-01';
const VALID = {
  court: 'Superior Court, Judicial District of Stamford-Norwalk',
  caseNumber: 'FST-CV-26-6012345-S',
  orderType: 'subpoena',
  issuedOn: '2026-11-20',
  patronCardNumber: '21234000012345',
  categories: ['library-records', 'payments'],
  from: '2026-06-01',
  to: '2026-10-31',
  nondisclosure: false,
};

function issuesOf(raw: unknown): { path: string; message: string }[] {
  try {
    validateCourtOrderInput(raw, TODAY);
  } catch (e) {
    if (e instanceof InvalidInputError) return e.issues;
    throw e;
  }
  return [];
}
/** The top-level fields named (an element of a list is named by its index: `categories.1`). */
const paths = (raw: unknown) => [...new Set(issuesOf(raw).map((i) => i.path.split('.')[0]))].sort();

describe('R12 court-order metadata', () => {
  it('accepts a complete order, trimming text', () => {
    const ok = validateCourtOrderInput({ ...VALID, court: `  ${VALID.court} `, lapsesOn: '2027-06-30' }, TODAY);
    expect(ok).toMatchObject({ ...VALID, lapsesOn: '2027-06-30' });
  });

  it('accepts an open-ended range and no range at all', () => {
    const { from: _f, to: _t, ...noRange } = VALID;
    expect(validateCourtOrderInput(noRange, TODAY).from).toBeUndefined();
    expect(validateCourtOrderInput({ ...noRange, from: '2026-01-01' }, TODAY).from).toBe('2026-01-01');
  });

  it('names every missing field at once', () => {
    expect(paths({})).toEqual([
      'caseNumber',
      'categories',
      'court',
      'issuedOn',
      'nondisclosure',
      'orderType',
      'patronCardNumber',
    ]);
  });

  it.each([
    ['court', 42],
    ['caseNumber', ['FST-1']],
    ['orderType', 'letter-from-police'],
    ['orderType', 'Subpoena'],
    ['issuedOn', '20/11/2026'],
    ['issuedOn', '2026-02-30'],
    ['patronCardNumber', 21234000012345],
    ['patronCardNumber', '2123 4000 0123 45'],
    ['categories', 'library-records'],
    ['categories', []],
    ['categories', ['library-records', 'browsing-history']],
    ['categories', ['payments', 'payments']],
    ['from', '2026-13-01'],
    ['to', 20261031],
    ['nondisclosure', 'yes'],
    ['nondisclosure', 'true'],
    ['nondisclosure', 1],
    ['lapsesOn', 'never'],
  ])('400 naming %s for a wrong value (%j)', (field, value) => {
    expect(paths({ ...VALID, [field]: value })).toEqual([field]);
  });

  it('an unknown category is named by its place in the list, and the message lists none of the input', () => {
    const issues = issuesOf({ ...VALID, categories: ['library-records', 'browsing-history'] });
    expect(issues.map((i) => i.path)).toEqual(['categories.1']);
    expect(JSON.stringify(issues)).not.toContain('browsing');
  });

  it('R12 dates out of order: the range ends before it starts', () => {
    expect(issuesOf({ ...VALID, from: '2026-10-31', to: '2026-06-01' })).toEqual([
      { path: 'to', message: 'cannot be before from' },
    ]);
  });

  it('an order issued in the future, and a hold lapsing in the past or before the order, are refused', () => {
    expect(paths({ ...VALID, issuedOn: '2026-12-02' })).toEqual(['issuedOn']);
    expect(paths({ ...VALID, lapsesOn: '2026-11-30' })).toEqual(['lapsesOn']);
    expect(paths({ ...VALID, issuedOn: '2026-11-20', lapsesOn: TODAY })).toEqual([]);
  });

  it('checks between fields still run when other fields are bad, so every bad field is named at once', () => {
    expect(paths({ ...VALID, court: '', from: '2026-10-31', to: '2026-06-01', nondisclosure: 'no' })).toEqual([
      'court',
      'nondisclosure',
      'to',
    ]);
  });

  it.each([
    ['court', '<script>alert(1)</script>'],
    ['court', '=HYPERLINK("http://evil.example")'],
    ['court', 'Court\u0000of\u0007Bells'],
    ['court', 'x'.repeat(201)],
    ['caseNumber', "1'; DROP TABLE orders;--"],
    ['caseNumber', '+SUM(A1:A9)'],
    ['caseNumber', 'FST\nCV'],
    ['caseNumber', 'A'.repeat(65)],
  ])('refuses a hostile %s and never repeats it', (field, value) => {
    const issues = issuesOf({ ...VALID, [field]: value });
    expect(issues.map((i) => i.path)).toEqual([field]);
    expect(JSON.stringify(issues)).not.toContain(value.slice(0, 12));
  });

  it('an unknown field is named "unknown field", never by its (possibly personal) name', () => {
    const issues = issuesOf({ ...VALID, 'ada@example.org': 'x', police: true });
    expect(issues).toEqual([{ path: '(body)', message: 'unknown field' }]);
    expect(JSON.stringify(issues)).not.toContain('ada@');
  });

  it.each([[null], ['a string'], [[VALID]], [42]])('a body that is not an object (%j) is refused', (body) => {
    expect(issuesOf(body).length).toBeGreaterThan(0);
  });
});

describe('R12 only the dates the order names', () => {
  it('a record time is read as a day in the library time zone, a plain date as itself', () => {
    expect(dayOf('2026-06-01T02:30:00Z', 'America/New_York')).toBe('2026-05-31');
    expect(dayOf('2026-06-01T02:30:00-04:00', 'America/New_York')).toBe('2026-06-01');
    expect(dayOf('2026-10-07', 'America/New_York')).toBe('2026-10-07');
    expect(() => dayOf('not a date', 'UTC')).toThrow(InvalidInputError);
  });

  it('both ends are included; an open end is unbounded', () => {
    const range = { from: '2026-06-01', to: '2026-10-31' };
    expect(['2026-05-31', '2026-06-01', '2026-10-31', '2026-11-01'].map((d) => withinRange(d, range))).toEqual([
      false,
      true,
      true,
      false,
    ]);
    expect(withinRange('1999-01-01', { to: '2026-01-01' })).toBe(true);
    expect(withinRange('2099-01-01', { from: '2026-01-01' })).toBe(true);
    expect(withinRange('2099-01-01', {})).toBe(true);
  });
});

describe('R13 a hold that lapses on a day holds through that whole day everywhere', () => {
  it('lapses at 12:00 UTC the next day (the end of the day at UTC-12)', () => {
    expect(holdLapseInstant('2026-12-31')).toBe('2027-01-01T12:00:00.000Z');
    expect(holdLapseInstant('2028-02-28')).toBe('2028-02-29T12:00:00.000Z');
  });
});

describe('R12 the stored file is judged by its content', () => {
  it.each([
    ['%PDF-1.7\n', true],
    ['%PDF-2.0\r', true],
    ['%PDF-1.4', true],
    ['Hello, this is text renamed to order.pdf', false],
    ['\uFEFF%PDF-1.7', false],
    [' %PDF-1.7', false],
    ['%PDF-', false],
    ['%PDF-x.y', false],
    ['<html>%PDF-1.7', false],
    ['', false],
  ])('%j → %s', (start, pdf) => {
    // The rest of a whole, plain PDF after the first bytes: only the start decides here.
    const rest = '\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n';
    expect(checkPdf(Buffer.from(start + rest, 'latin1'))).toEqual(
      pdf ? { ok: true } : { ok: false, reason: 'not-a-pdf' },
    );
  });

  it('the limit is 10 MiB', () => {
    expect(MAX_ORDER_BYTES).toBe(10_485_760);
  });
});

describe('R12 two different people, never the uploader', () => {
  const decision = (byStaffId: string, step: string, d: 'approve' | 'reject' = 'approve'): StaffDecision => ({
    step,
    decision: d,
    byStaffId,
    role: 'privacy-officer',
    at: '2026-12-01T00:00:00Z',
  });

  it('the uploader may not decide, whatever the case of their email', () => {
    expect(
      approvalConflict({ submittedByStaff: 'owen.gallagher@library.example' }, 'Owen.Gallagher@library.example'),
    ).toBe('submitted-the-request');
  });

  it('whoever approved the review may not authorise', () => {
    expect(
      approvalConflict(
        {
          submittedByStaff: 'counsel@library.example',
          decisions: [decision('privacy@library.example', 'court-order-review')],
        },
        'privacy@library.example',
      ),
    ).toBe('approved-an-earlier-step');
    expect(
      approvalConflict(
        {
          submittedByStaff: 'counsel@library.example',
          decisions: [decision('privacy@library.example', 'court-order-review')],
        },
        'director@library.example',
      ),
    ).toBeUndefined();
  });

  it('filters the deciding role down to those who may decide', () => {
    const staff = [
      { email: 'privacy@library.example' },
      { email: 'owen.gallagher@library.example' },
      { email: 'director@library.example' },
    ];
    const request = {
      submittedByStaff: 'owen.gallagher@library.example',
      decisions: [decision('privacy@library.example', 'court-order-review')],
    };
    expect(eligibleApprovers(request, staff).map((s) => s.email)).toEqual(['director@library.example']);
    expect(eligibleApprovers({}, staff)).toHaveLength(3);
  });
});

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: SourceData): string | Buffer =>
  typeof d === 'string'
    ? d
    : d instanceof ArrayBuffer
      ? Buffer.from(d)
      : Buffer.from(d.buffer, d.byteOffset, d.byteLength);

describe('the S3 presigned POST for the order (AWS)', () => {
  const credentials = {
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    sessionToken: 'session-token',
  };
  const now = new Date('2026-12-01T10:20:30.456Z');
  const post = presignedPostPolicy({
    bucket: 'privacy-desk-documents',
    key: incomingKey('0f9b2c4e-1d3a-4b5c-8d7e-6f5a4b3c2d1e'),
    region: 'us-east-1',
    credentials,
    now,
    contentType: 'application/pdf',
    maxBytes: MAX_ORDER_BYTES,
    expiresInSeconds: 900,
  });

  it('R12 fixes the key and type, limits the size to 10 MiB, and expires in 15 minutes', () => {
    const policy = JSON.parse(Buffer.from(post.policy, 'base64').toString('utf8')) as {
      expiration: string;
      conditions: unknown[];
    };
    expect(policy.expiration).toBe('2026-12-01T10:35:30.456Z');
    expect(policy.conditions).toEqual([
      { bucket: 'privacy-desk-documents' },
      { key: 'incoming/0f9b2c4e-1d3a-4b5c-8d7e-6f5a4b3c2d1e.pdf' },
      { 'Content-Type': 'application/pdf' },
      ['content-length-range', 1, 10_485_760],
      { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' },
      { 'x-amz-credential': 'AKIAIOSFODNN7EXAMPLE/20261201/us-east-1/s3/aws4_request' },
      { 'x-amz-date': '20261201T102030Z' },
      { 'x-amz-security-token': 'session-token' },
    ]);
    expect(post.fields).toMatchObject({
      key: 'incoming/0f9b2c4e-1d3a-4b5c-8d7e-6f5a4b3c2d1e.pdf',
      'Content-Type': 'application/pdf',
      'X-Amz-Date': '20261201T102030Z',
      'X-Amz-Security-Token': 'session-token',
      Policy: post.policy,
    });
    // No encryption field: the bucket's default KMS key applies; a request may not choose.
    expect(Object.keys(post.fields).some((k) => /server-side-encryption/i.test(k))).toBe(false);
  });

  it('is signed as SigV4 signs a POST policy: the signing key of the scope over the base64 policy', async () => {
    const signer = new SignatureV4({
      service: 's3',
      region: 'us-east-1',
      credentials,
      sha256: class {
        private readonly h;
        constructor(secret?: SourceData) {
          this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
        }
        update(data: SourceData) {
          this.h.update(bytes(data));
        }
        async digest() {
          return new Uint8Array(this.h.digest());
        }
      },
    });
    const viaSdk = await signer.sign(post.policy, { signingDate: now });
    const hmac = (k: string | Buffer, d: string) => createHmac('sha256', k).update(d).digest();
    const { dateStamp } = amzDates(now);
    const key = hmac(
      hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, dateStamp), 'us-east-1'), 's3'),
      'aws4_request',
    );
    expect(viaSdk).toBe(createHmac('sha256', key).update(post.policy).digest('hex'));
    // The derivation itself, against AWS's published example (IAM, 2012-02-15).
    const example = hmac(
      hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, '20120215'), 'us-east-1'), 'iam'),
      'aws4_request',
    );
    expect(example.toString('hex')).toBe('f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d');
  });
});
