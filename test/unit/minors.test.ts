import { describe, expect, it } from 'vitest';
import { InvalidInputError, IntegrityError } from '../../functions/domain/errors.ts';
import {
  ageBandOf,
  assertGuardianDisclosure,
  assertThirdPartyDisclosure,
  guardianAgeBand,
} from '../../functions/domain/minors.ts';
import { defaultPolicy, policySchema, type Policy } from '../../functions/domain/policy.ts';
import { withoutRequesterContact, type AnyRequestFields, type RequestRecord } from '../../functions/domain/request.ts';
import { guardianConsentEmail, thirdPartyConsentEmail } from '../../functions/render/consent-emails.ts';
import { consentPage } from '../../functions/render/consent-pages.ts';
import { renderAccessReport } from '../../functions/render/report.ts';
import type { Patron } from '../../functions/domain/dataset.ts';

const NY = 'America/New_York';
const rules = defaultPolicy.minors;

describe('age bands from the policy thresholds (R9, R10, R11)', () => {
  it('R9: under the consent age (13 by default) is a child: no consent needed', () => {
    expect(ageBandOf(0, rules)).toBe('child');
    expect(ageBandOf(12, rules)).toBe('child');
  });

  it('R10: from 13 to 17 the child must consent', () => {
    expect(ageBandOf(13, rules)).toBe('consent-age');
    expect(ageBandOf(17, rules)).toBe('consent-age');
  });

  it('R11: 18 and over is an adult, refused', () => {
    expect(ageBandOf(18, rules)).toBe('adult');
    expect(ageBandOf(45, rules)).toBe('adult');
  });

  it('R11: the thresholds are configuration, not code', () => {
    const other = { consentFromAge: 12, adultAge: 21 };
    expect(ageBandOf(11, other)).toBe('child');
    expect(ageBandOf(12, other)).toBe('consent-age');
    expect(ageBandOf(18, other)).toBe('consent-age');
    expect(ageBandOf(21, other)).toBe('adult');
    // No consent band at all when the two thresholds are equal.
    expect(ageBandOf(15, { consentFromAge: 16, adultAge: 16 })).toBe('child');
    expect(ageBandOf(16, { consentFromAge: 16, adultAge: 16 })).toBe('adult');
  });

  it('R10/R11: on the day of the request in the library’s time zone: exactly 13 and exactly 18 today count', () => {
    expect(guardianAgeBand('2013-04-18', new Date('2026-04-18T16:00:00Z'), NY, rules)).toBe('consent-age');
    expect(guardianAgeBand('2008-06-15', new Date('2026-06-15T16:00:00Z'), NY, rules)).toBe('adult');
    expect(guardianAgeBand('2008-06-15', new Date('2026-06-14T16:00:00Z'), NY, rules)).toBe('consent-age');
  });

  it('R9/R11: 11 pm in New York the evening before the 13th birthday is still 12, though UTC already says the birthday', () => {
    expect(guardianAgeBand('2013-04-18', new Date('2026-04-18T03:00:00Z'), NY, rules)).toBe('child');
    expect(guardianAgeBand('2013-04-18', new Date('2026-04-18T03:00:00Z'), 'UTC', rules)).toBe('consent-age');
  });

  it('refuses bad input: a birth date after the request, a malformed date, a negative or fractional age', () => {
    expect(() => guardianAgeBand('2030-01-01', new Date('2026-11-28T12:00:00Z'), NY, rules)).toThrow(InvalidInputError);
    expect(() => guardianAgeBand('2013-02-30', new Date('2026-11-28T12:00:00Z'), NY, rules)).toThrow(InvalidInputError);
    expect(() => guardianAgeBand('13/04/2013', new Date('2026-11-28T12:00:00Z'), NY, rules)).toThrow(InvalidInputError);
    expect(() => ageBandOf(-1, rules)).toThrow(IntegrityError);
    expect(() => ageBandOf(12.5, rules)).toThrow(IntegrityError);
  });
});

describe('the minors and consent policy (R9, R10, R11)', () => {
  const raw = (): Policy => structuredClone(defaultPolicy);

  it('R9/R10/R11: defaults are 13 and 18; a guardian never sees login credentials by default', () => {
    expect(defaultPolicy.minors).toMatchObject({ consentFromAge: 13, adultAge: 18 });
    expect(defaultPolicy.minors.guardianCategories).not.toContain('credentials');
    expect(defaultPolicy.approvals.roles['guardian-access']).toBe('privacy-officer');
    expect(defaultPolicy.approvals.roles['third-party']).toBe('privacy-officer');
  });

  it('R11: a policy file without the section gets the defaults, so older files still load', () => {
    const { minors: _m, consent: _c, ...older } = raw();
    const parsed = policySchema.parse(older);
    expect(parsed.minors).toEqual(defaultPolicy.minors);
    expect(parsed.consent).toEqual(defaultPolicy.consent);
  });

  it('refuses a consent age above adulthood, an unknown category, no category, and a consent link longer than the workflow waits', () => {
    const paths = (candidate: unknown) =>
      policySchema.safeParse(candidate).error?.issues.map((i) => i.path.join('.')) ?? [];
    expect(paths({ ...raw(), minors: { ...raw().minors, consentFromAge: 19 } })).toContain('minors.consentFromAge');
    expect(paths({ ...raw(), minors: { ...raw().minors, guardianCategories: ['everything'] } })).toContain(
      'minors.guardianCategories.0',
    );
    expect(paths({ ...raw(), minors: { ...raw().minors, guardianCategories: [] } })).toContain(
      'minors.guardianCategories',
    );
    expect(paths({ ...raw(), minors: { ...raw().minors, adultAge: 18.5 } })).toContain('minors.adultAge');
    expect(paths({ ...raw(), consent: { linkTtlHours: 24 * 30 } })).toContain('consent.linkTtlHours');
  });
});

/** A request of any kind, every field readable; a patch may pair a kind with another kind's fields, to test the guards. */
type AnyRequest = RequestRecord & Partial<AnyRequestFields>;
const base = (patch: Partial<AnyRequestFields>): AnyRequest =>
  ({
    requestId: '00000000-0000-4000-8000-000000000001',
    kind: 'guardian-access',
    status: 'in-progress',
    version: 3,
    createdAt: '2026-11-28T12:00:00.000Z',
    updatedAt: '2026-11-28T12:00:00.000Z',
    dueAt: '2026-12-28T12:00:00.000Z',
    statusKeyHash: 'x',
    ...patch,
  }) as RequestRecord;
const approved = (step: string) => ({
  decisions: [
    {
      step,
      decision: 'approve' as const,
      byStaffId: 'privacy@library.example',
      role: 'privacy-officer',
      at: '2026-11-28T13:00:00.000Z',
    },
  ],
});
const verified = { verification: { method: 'email-link' as const, verifiedAt: '2026-11-28T12:10:00.000Z' } };
const linkedChild = { patronId: 'P1017', requesterPatronId: 'P1016', guardianLink: 'linked' as const, ...verified };

describe('the gate in front of a guardian’s report (R9, R10, R11)', () => {
  it('R9: a linked, verified guardian of a child, approved → allowed', () => {
    expect(assertGuardianDisclosure(base({ ...linkedChild, ageBand: 'child', ...approved('guardian-access') }))).toBe(
      'R9',
    );
  });

  it('R9: not before the privacy officer approves, and not after a rejection that came last', () => {
    expect(() => assertGuardianDisclosure(base({ ...linkedChild, ageBand: 'child' }))).toThrow(/approved/);
    const both = {
      decisions: [
        ...approved('guardian-access').decisions,
        { step: 'guardian-access', decision: 'reject' as const, byStaffId: 'o', role: 'privacy-officer', at: 'x' },
      ],
    };
    expect(() => assertGuardianDisclosure(base({ ...linkedChild, ageBand: 'child', ...both }))).toThrow(/approved/);
    expect(() =>
      assertGuardianDisclosure(base({ ...linkedChild, ageBand: 'child', ...approved('correction') })),
    ).toThrow(/approved/);
  });

  it('R10: from the consent age, only with the child’s consent', () => {
    const teen = { ...linkedChild, ageBand: 'consent-age' as const, ...approved('guardian-access') };
    expect(() => assertGuardianDisclosure(base(teen))).toThrow(/R10/);
    expect(() =>
      assertGuardianDisclosure(base({ ...teen, consent: { decision: 'decline', at: 'x', channel: 'email' } })),
    ).toThrow(/R10/);
    expect(
      assertGuardianDisclosure(base({ ...teen, consent: { decision: 'consent', at: 'x', channel: 'email' } })),
    ).toBe('R10');
  });

  it('R11: never an adult’s records, never an unlinked or unverified guardian', () => {
    expect(() =>
      assertGuardianDisclosure(base({ ...linkedChild, ageBand: 'adult', ...approved('guardian-access') })),
    ).toThrow(/R11/);
    expect(() =>
      assertGuardianDisclosure(
        base({ ...linkedChild, guardianLink: 'unlinked', ageBand: 'child', ...approved('guardian-access') }),
      ),
    ).toThrow(/R11/);
    expect(() =>
      assertGuardianDisclosure(
        base({ ...linkedChild, verification: undefined, ageBand: 'child', ...approved('guardian-access') }),
      ),
    ).toThrow(/R7/);
    expect(() =>
      assertGuardianDisclosure(
        base({ ...linkedChild, kind: 'access', ageBand: 'child', ...approved('guardian-access') }),
      ),
    ).toThrow(IntegrityError);
  });
});

describe('the gate in front of a third party’s package (R14)', () => {
  const tp = {
    kind: 'third-party' as const,
    patronId: 'P1001',
    thirdParty: {
      name: 'J',
      email: 'j@example.org',
      purpose: 'p',
      categories: ['library-records' as const, 'payments' as const],
    },
  };

  it('R14: only with the patron’s written permission and staff approval', () => {
    expect(() => assertThirdPartyDisclosure(base({ ...tp, ...approved('third-party') }))).toThrow(/R14/);
    expect(() =>
      assertThirdPartyDisclosure(
        base({ ...tp, consent: { decision: 'decline', at: 'x', channel: 'email' }, ...approved('third-party') }),
      ),
    ).toThrow(/R14/);
    expect(() =>
      assertThirdPartyDisclosure(
        base({ ...tp, consent: { decision: 'consent', at: 'x', channel: 'email', categories: ['library-records'] } }),
      ),
    ).toThrow(/approved/);
  });

  it('R14: only the categories both asked for and permitted, never more', () => {
    const consent = {
      decision: 'consent' as const,
      at: 'x',
      channel: 'email' as const,
      categories: ['library-records' as const, 'donations' as const],
    };
    expect(assertThirdPartyDisclosure(base({ ...tp, consent, ...approved('third-party') }))).toEqual([
      'library-records',
    ]);
    expect(() =>
      assertThirdPartyDisclosure(
        base({ ...tp, consent: { ...consent, categories: ['donations'] }, ...approved('third-party') }),
      ),
    ).toThrow(/no category/);
  });

  it('R16: a closed request keeps the categories and nothing of the third party', () => {
    const closed: AnyRequest | undefined = withoutRequesterContact(
      base({ ...tp, thirdParty: { ...tp.thirdParty, organization: 'Org' } }),
    );
    expect(closed?.thirdParty).toEqual({ categories: ['library-records', 'payments'] });
    expect(withoutRequesterContact(closed as RequestRecord)).toBeUndefined(); // nothing left to erase
    expect(withoutRequesterContact(base({}))).toBeUndefined();
  });
});

describe('a report for someone other than the patron holds only its categories (R9, R10, R14)', () => {
  const patron: Patron = {
    id: 'P1',
    cardNumber: '21234000000001',
    firstName: 'Grace',
    lastName: 'Hopper',
    dateOfBirth: '1990-12-09',
    email: 'grace@example.org',
    guarantorIds: [],
    username: 'ghopper',
    securityQuestions: [],
    paymentMethods: [],
    linkedAccounts: [],
  };
  const input = {
    library: { name: 'Example Library', timezone: NY },
    generatedAt: '2026-11-28T12:00:00.000Z',
    requestId: '00000000-0000-4000-8000-000000000002',
    policy: defaultPolicy,
    patron,
    loans: [
      {
        id: 'L1',
        patronId: 'P1',
        itemId: 'I1',
        title: 'Compilers',
        checkedOutAt: '2026-01-01T10:00:00Z',
        dueAt: '2026-01-21T10:00:00Z',
        returnedAt: null,
      },
    ],
    holds: [],
    fines: [],
    programs: [],
    donations: [{ id: 'D1', patronId: 'P1', amount: 10, date: '2026-01-01', campaign: 'Spring Appeal' }],
    sharedContent: [],
    verification: { method: 'email-link' as const, verifiedAt: '2026-11-28T11:00:00.000Z' },
  };

  it('R14: a third party sees the permitted category, and no name, email or other category', () => {
    const html = renderAccessReport({
      ...input,
      audience: {
        kind: 'third-party',
        categories: ['library-records'],
        basis: 'Written permission given on 2026-11-28.',
      },
    });
    expect(html).toContain('Compilers');
    expect(html).toContain('Written permission given on 2026-11-28.');
    for (const absent of [
      'Spring Appeal',
      'grace@example.org',
      'Hopper',
      'ghopper',
      'Personal information',
      'Donations',
      'Login credentials',
      'How we confirmed it was you',
    ])
      expect(html).not.toContain(absent);
  });

  it('R9: a guardian’s report says whose records and on what basis; the patron’s own report is unchanged', () => {
    const html = renderAccessReport({
      ...input,
      audience: { kind: 'guardian', categories: ['personal', 'donations'], basis: 'Linked guardian.' },
    });
    expect(html).toContain('Library records of Grace Hopper');
    expect(html).toContain('Spring Appeal');
    expect(html).not.toContain('Compilers');
    const own = renderAccessReport(input);
    for (const present of [
      'Your records at Example Library',
      'Compilers',
      'Spring Appeal',
      'Login credentials',
      'How we confirmed it was you',
    ])
      expect(own).toContain(present);
  });
});

describe('the consent question (R10, R14)', () => {
  const tpRequest = base({
    kind: 'third-party',
    thirdParty: {
      name: 'Evil\r\nBcc: all@example.org <script>',
      email: 'e@example.org',
      purpose: '<img src=x onerror=alert(1)> audit',
      categories: ['library-records'],
    },
  });

  it('R14: names the exact recipient and each category; typed text cannot bend the subject or inject markup', () => {
    const email = thirdPartyConsentEmail({
      library: 'L',
      link: 'https://x/act/t',
      expiresAt: 'soon',
      requester: { name: tpRequest.thirdParty?.name ?? '', email: 'e@example.org' },
      categories: ['Library records'],
    });
    expect(email.text).toContain('e@example.org');
    expect(email.subject).not.toMatch(/[\r\n]/);
    expect(email.subject).toContain('Evil Bcc: all@example.org');
    expect(email.html).not.toContain('<script>');
    expect(email.html).not.toContain('<img');
    expect(email.text).toContain('Library records');
    const page = consentPage({ request: tpRequest, policy: defaultPolicy }).details.value;
    expect(page).not.toContain('<img');
    expect(page).toContain('&lt;img');
    expect(page).toContain('e@example.org');
    expect(page).toContain(defaultPolicy.categories['library-records'].title);
  });

  it('R14: the purpose is only behind the link, marked as the requester’s words, with links neutralised and no HTML', () => {
    const purpose =
      'See https://evil.example/x?y=1 or www.phish.example, mailto:a@b.example <a href="https://x.example">here</a>';
    const request = base({
      kind: 'third-party',
      thirdParty: { name: 'Jo', email: 'jo@firm.example', purpose, categories: ['library-records'] },
    });
    const email = thirdPartyConsentEmail({
      library: 'L',
      link: 'https://x/act/t',
      expiresAt: 'soon',
      requester: { name: 'Jo', email: 'jo@firm.example' },
      categories: ['Library records'],
    });
    expect(email.text).not.toContain('evil');
    expect(email.html).not.toContain('evil');
    const page = consentPage({ request, policy: defaultPolicy }).details.value;
    expect(page).toContain('in their own words');
    expect(page).toContain('evil[.]example');
    for (const clickable of ['https://', 'www.phish.example', 'mailto:', '<a ', 'href="'])
      expect(page).not.toContain(clickable);
  });

  it('R10: the child is asked without a reason field, names the guardian who asked as on file; the categories are the policy’s', () => {
    const request = base({ kind: 'guardian-access', ...linkedChild, ageBand: 'consent-age' });
    const q = consentPage({ request, policy: defaultPolicy, guardian: { firstName: 'David', lastName: 'Chen' } });
    expect(q.details.value).toContain('David Chen');
    expect(q.buttons.map((b) => b.decision)).toEqual(['consent', 'decline']);
    for (const c of defaultPolicy.minors.guardianCategories)
      expect(q.details.value).toContain(defaultPolicy.categories[c].title);
    expect(q.details.value).not.toContain(defaultPolicy.categories.credentials.title);
    expect(
      guardianConsentEmail({
        library: 'L',
        link: 'https://x/act/t',
        expiresAt: 'soon',
        categories: ['Library records'],
        guardian: 'David\r\nChen',
      }).text,
    ).toContain('David Chen, a parent or guardian linked to your library card');
  });
});
