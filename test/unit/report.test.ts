import { retentionStatements } from '../../functions/domain/retention.ts';
import { describe, expect, it } from 'vitest';
import { CATEGORIES, type Category } from '../../functions/domain/categories.ts';
import { IntegrityError } from '../../functions/domain/errors.ts';
import { defaultPolicy, type Policy } from '../../functions/domain/policy.ts';
import { renderAccessReport, type AccessReportInput, type SystemSummary } from '../../functions/render/report.ts';
import type { Patron } from '../../functions/domain/dataset.ts';

const patron: Patron = {
  id: 'p-1',
  cardNumber: '21234000123456',
  firstName: 'Ada',
  lastName: 'Lovelace',
  dateOfBirth: '1990-12-10',
  email: 'ada@example.org',
  phone: '+1 203 555 0100',
  address: { street: '1 Main St', city: 'Greenwich', state: 'CT', postalCode: '06830' },
  guarantorIds: [],
  username: 'ada90',
  passwordHash: '$2b$12$SECRETHASH',
  securityQuestions: [
    { question: 'First pet?', answerHash: 'ANSWERHASH' },
    { question: 'First school?', answerHash: 'ANSWERHASH2' },
  ],
  paymentMethods: [{ type: 'Visa', last4: '4242' }],
  linkedAccounts: [{ service: 'Libby', externalId: 'ext-77' }],
};

const base = (overrides: Partial<AccessReportInput> = {}): AccessReportInput => ({
  library: { name: 'Greenwich Library', timezone: 'America/New_York' },
  generatedAt: '2025-03-04T15:00:00Z',
  requestId: 'req-0001',
  policy: defaultPolicy,
  patron,
  loans: [
    {
      id: 'l-1',
      patronId: 'p-1',
      itemId: 'i-1',
      title: 'Returned Book',
      checkedOutAt: '2025-01-02T15:00:00Z',
      dueAt: '2025-01-23T15:00:00Z',
      returnedAt: '2025-01-20T18:30:00Z',
    },
    {
      id: 'l-2',
      patronId: 'p-1',
      itemId: 'i-2',
      title: 'Borrowed Book',
      branch: 'Main',
      checkedOutAt: '2025-02-20T15:00:00Z',
      dueAt: '2025-03-13T15:00:00Z',
      returnedAt: null,
    },
  ],
  holds: [{ id: 'h-1', patronId: 'p-1', title: 'Held Book', placedAt: '2025-02-01T10:00:00Z', status: 'waiting' }],
  fines: [
    {
      id: 'f-1',
      patronId: 'p-1',
      amount: 2.5,
      outstanding: 1,
      reason: 'Late return',
      createdAt: '2025-01-21T12:00:00Z',
    },
  ],
  programs: [{ id: 'pr-1', patronId: 'p-1', title: 'Chess Club', date: '2025-02-08', attended: true }],
  donations: [{ id: 'd-1', patronId: 'p-1', amount: 100, date: '2024-12-31', campaign: 'Annual Appeal' }],
  sharedContent: [
    {
      id: 's-1',
      patronId: 'p-1',
      kind: 'review',
      title: 'Great read',
      text: 'Loved it.',
      createdAt: '2025-01-25T12:00:00Z',
    },
  ],
  verification: { method: 'email-link', verifiedAt: '2025-03-04T14:00:00Z' },
  ...overrides,
});

/** The text of one category's section, so assertions cannot match another section by accident. */
const section = (report: string, id: string): string => {
  const m = new RegExp(`<section id="${id}"[\\s\\S]*?</section>`).exec(report);
  if (!m) throw new Error(`no section ${id}`);
  return m[0];
};

describe('renderAccessReport', () => {
  it('is a complete document titled for the library', () => {
    const report = renderAccessReport(base());
    expect(report.startsWith('<!doctype html>')).toBe(true);
    expect(report).toContain('<html lang="en">');
    expect(report).toContain('<title>Your records at Greenwich Library</title>');
    expect(report).toContain('<style>');
    // Self-contained: nothing loaded from elsewhere.
    expect(report).not.toMatch(/<link\b|<script\b|src=/);
  });

  it('R18: every category has what/why/shared/retention from the policy config', () => {
    const policy: Policy = structuredClone(defaultPolicy);
    policy.categories['shared-content'].retention = 'Seven years, per the board resolution of 2031.';
    policy.categories.personal.sharedWith = 'Only the bookmobile crew.';
    const report = renderAccessReport(base({ policy }));

    expect(report).toContain('Seven years, per the board resolution of 2031.');
    expect(report).toContain('Only the bookmobile crew.');
    let last = -1;
    for (const c of CATEGORIES) {
      const p = policy.categories[c];
      const s = section(report, c);
      for (const text of [p.title, p.what, p.why, p.sharedWith, ...retentionStatements(c, policy).map((r) => r.text)])
        expect(s).toContain(text.replace(/'/g, '&#39;'));
      // In the policy's order.
      const at = report.indexOf(`<section id="${c}"`);
      expect(at).toBeGreaterThan(last);
      last = at;
    }
  });

  it('credentials: username only, never a password hash or security answer', () => {
    const report = renderAccessReport(base());
    expect(report).not.toContain('SECRETHASH');
    expect(report).not.toContain('$2b$12$');
    expect(report).not.toContain('ANSWERHASH');
    const s = section(report, 'credentials');
    expect(s).toContain('ada90');
    expect(s).toContain('2 security questions set; answers are never shown');
  });

  it('R4: residency reviewed, not retained', () => {
    const report = renderAccessReport(
      base({
        verification: { method: 'in-person', verifiedAt: '2025-03-04T14:00:00Z', verifiedByRole: 'privacy-officer' },
      }),
    );
    expect(section(report, 'residency')).toContain('Reviewed, not retained');
    expect(report).toContain('In person by library staff (privacy officer)');
    expect(report).toContain('No copy of any identity document was kept');
  });

  it('R18: logs and analytics are reported as not linked to the patron (linked cookies: below)', () => {
    expect(section(renderAccessReport(base()), 'automatic')).toMatch(
      /Logs and analytics: stored without identity, not linked to you/,
    );
  });

  it('personal data: payment methods as type and last four only', () => {
    const s = section(renderAccessReport(base()), 'personal');
    for (const text of [
      'Ada Lovelace',
      '21234000123456',
      'December 10, 1990',
      'ada@example.org',
      '1 Main St',
      'Visa ending in 4242',
      'Libby: ext-77',
    ]) {
      expect(s).toContain(text);
    }
  });

  it('loans appear, including one still on loan, with dates in the library time zone', () => {
    const s = section(renderAccessReport(base()), 'library-records');
    expect(s).toContain('Returned Book');
    expect(s).toContain('Borrowed Book');
    expect(s).toContain('Still on loan');
    // 18:30Z on January 20 is 1:30 PM in New York (EST).
    expect(s).toContain('January 20, 2025 at 1:30 PM EST');
    expect(s).toContain('Held Book');
    expect(s).toContain('Chess Club');
    // Newest first.
    expect(s.indexOf('Borrowed Book')).toBeLessThan(s.indexOf('Returned Book'));
  });

  it('payments, donations and shared content show their records', () => {
    const report = renderAccessReport(base());
    expect(section(report, 'payments')).toContain('$2.50');
    expect(section(report, 'payments')).toContain('Total outstanding: <strong>$1.00</strong>');
    // A calendar date is not shifted by the time zone.
    expect(section(report, 'donations')).toContain('December 31, 2024');
    expect(section(report, 'shared-content')).toContain('Loved it.');
  });

  it('hostile strings are escaped', () => {
    const hostile = '<script>alert(1)</script>';
    const report = renderAccessReport(
      base({
        library: { name: '<b>Lib</b>', timezone: 'America/New_York' },
        loans: [
          {
            id: 'l-9',
            patronId: 'p-1',
            itemId: 'i-9',
            title: hostile,
            checkedOutAt: '2025-01-02T15:00:00Z',
            dueAt: '2025-01-23T15:00:00Z',
            returnedAt: null,
          },
        ],
        sharedContent: [
          {
            id: 's-9',
            patronId: 'p-1',
            kind: 'list',
            title: '"><img src=x onerror=alert(1)>',
            text: hostile,
            createdAt: '2025-01-25T12:00:00Z',
          },
        ],
      }),
    );
    expect(report).not.toContain('<script>');
    expect(report).not.toContain('<img');
    expect(report).not.toContain('<b>Lib</b>');
    expect(report).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('empty categories say None', () => {
    const bare: Patron = {
      ...patron,
      username: undefined,
      passwordHash: undefined,
      securityQuestions: [],
      paymentMethods: [],
      linkedAccounts: [],
    };
    const report = renderAccessReport(
      base({ patron: bare, loans: [], holds: [], fines: [], programs: [], donations: [], sharedContent: [] }),
    );
    for (const c of ['credentials', 'payments', 'donations', 'shared-content'])
      expect(section(report, c)).toContain('None');
    const records = section(report, 'library-records');
    expect(records.match(/None/g)).toHaveLength(3);
    expect(section(report, 'personal')).toMatch(/Payment methods<\/dt><dd>None/);
  });

  it('has a verification line and a footer with the request id and generation time', () => {
    const report = renderAccessReport(base());
    expect(report).toContain('By a link sent to the email address on file');
    expect(report).toMatch(/<footer>[\s\S]*req-0001[\s\S]*March 4, 2025 at 10:00 AM EST[\s\S]*<\/footer>/);
  });

  it('R1: refuses records that belong to another patron', () => {
    const input = base();
    input.holds = [
      { id: 'h-x', patronId: 'p-2', title: 'Not yours', placedAt: '2025-02-01T10:00:00Z', status: 'ready' },
    ];
    expect(() => renderAccessReport(input)).toThrow(IntegrityError);
  });

  it('falls back to UTC for an unknown time zone rather than failing', () => {
    const report = renderAccessReport(base({ library: { name: 'Lib', timezone: 'Mars/Olympus' } }));
    expect(report).toContain('March 4, 2025 at 3:00 PM UTC');
  });
});

describe('R18 R19: where the records are, system by system', () => {
  const table = { id: 'records', name: 'Privacy Desk records', manual: false } as const;

  it('R18 R19: one system is said to be one, never "several"', () => {
    const html = renderAccessReport(base({ systems: [{ ...table, answer: 'done', counts: { payments: 1 } }] }));
    expect(html).toContain('<a href="#systems">Where your records are</a>');
    expect(html).toContain('The library keeps these records in one system, which was checked for this request.');
    expect(html).toContain('<dt>Privacy Desk records</dt><dd>Found: Fines, fees and payments: 1 record.</dd>');
  });

  it('R18 R19: no system holding the kinds asked for is said plainly', () => {
    const html = renderAccessReport(base({ systems: [] }));
    expect(html).toContain('None of the library’s systems holds records of these kinds.');
  });

  it('R18 R19: each answer in words a patron may read: found, nothing found, not held, staff, could not, waiting', () => {
    const html = renderAccessReport(
      base({
        systems: [
          { ...table, answer: 'done', counts: { 'library-records': 0 } },
          { id: 'ils', name: 'Koha', manual: false, answer: 'not-held' },
          { id: 'ebooks', name: 'E-books', manual: true, answer: 'done', answeredAt: '2025-03-03T15:00:00Z' },
          { id: 'rooms', name: 'Rooms', manual: true, answer: 'could-not', answeredAt: '2025-03-03T15:00:00Z' },
          { id: 'list', name: 'Newsletter', manual: true, answer: 'waiting' },
        ],
      }),
    );
    expect(html).toContain('The library keeps these records in 5 systems.');
    expect(html).toContain('<dt>Privacy Desk records</dt><dd>Checked: no records in these categories.</dd>');
    expect(html).toContain('<dt>Koha</dt><dd>Not held: this system has no record of you.</dd>');
    expect(html).toContain('<dt>E-books</dt><dd>Checked by library staff on March 3, 2025.</dd>');
    expect(html).toContain(
      '<dt>Rooms</dt><dd>Library staff could not complete this here; the privacy officer is following it up.</dd>',
    );
    expect(html).toContain('<dt>Newsletter</dt><dd>Not answered yet.</dd>');
  });

  it('R14 R19: another audience reads counts of its categories only, and "the card holder", not "you"', () => {
    const html = renderAccessReport(
      base({
        audience: { kind: 'third-party', categories: ['payments'], basis: 'Written permission.' },
        systems: [
          { ...table, answer: 'done', counts: { payments: 2, 'library-records': 9 } },
          { id: 'ils', name: 'Koha', manual: false, answer: 'not-held' },
        ],
      }),
    );
    expect(html).toContain('Where these records are');
    expect(html).toContain('<dd>Found: Fines, fees and payments: 2 records.</dd>');
    expect(html).not.toContain('Library records: 9');
    expect(html).toContain('<dt>Koha</dt><dd>Not held: this system has no record of the card holder.</dd>');
  });
});

describe('the report’s statements are true and complete (R18, R19, R20)', () => {
  const aboutOf = (s: string, term: string): string =>
    new RegExp(`<dt>${term}</dt><dd>([\\s\\S]*?)</dd>`).exec(s)?.[1] ?? '';
  const unescape = (s: string) => s.replace(/&#39;/g, "'").replace(/&amp;/g, '&');

  it('R18: sign-in and preference cookies are reported as linked to the account, each as configured; logs stay not linked', () => {
    const policy: Policy = structuredClone(defaultPolicy);
    policy.linkedCookies = [
      ...policy.linkedCookies,
      { name: 'Reading-list cookie', purpose: 'keeps your reading list between visits', kept: 'for 30 days' },
    ];
    const s = unescape(section(renderAccessReport(base({ policy })), 'automatic'));
    expect(policy.linkedCookies.length).toBeGreaterThanOrEqual(3);
    for (const c of policy.linkedCookies) {
      const line = new RegExp(`<li data-cookie="${c.name}">([^<]*)</li>`).exec(s)?.[1] ?? '';
      expect(line, c.name).toContain(c.purpose);
      expect(line, c.name).toContain(c.kept);
    }
    expect(s).toMatch(/Linked to your online account/);
    expect(s).toMatch(/not linked to you/);
  });

  it('R18, R20: the personal and donations purposes name the outreach and fundraising uses the policy names', () => {
    const report = unescape(renderAccessReport(base()));
    // The seed's "outreach, advocacy, marketing and fundraising campaigns on behalf of the Library".
    for (const use of ['outreach', 'advocacy', 'marketing', 'fundraising'])
      expect(aboutOf(section(report, 'personal'), 'Why'), use).toContain(use);
    expect(aboutOf(section(report, 'personal'), 'Why')).toBe(defaultPolicy.categories.personal.why);
    expect(aboutOf(section(report, 'donations'), 'Why')).toMatch(/fundraising/);
  });

  it('R9, R10, R18: guardians are named among those a category may go to, with the configured ages, and only for the guardian categories', () => {
    const policy: Policy = structuredClone(defaultPolicy);
    policy.minors = { ...policy.minors, consentFromAge: 12, adultAge: 19, guardianCategories: ['library-records'] };
    const report = unescape(renderAccessReport(base({ policy })));
    const shared = aboutOf(section(report, 'library-records'), 'Who it is shared with');
    expect(shared).toMatch(/guardian/);
    expect(shared).toContain(`under ${policy.minors.consentFromAge}`);
    expect(shared).toContain(`from ${policy.minors.consentFromAge} to ${policy.minors.adultAge - 1}`);
    for (const c of CATEGORIES.filter((x) => x !== 'library-records'))
      expect(aboutOf(section(report, c), 'Who it is shared with'), c).not.toMatch(/guardian/);
  });

  it('R18, R19: the services of the systems file that hold a category are named among those it may go to; the built-in table is not', () => {
    const systems: SystemSummary[] = [
      {
        id: 'records',
        name: 'Privacy Desk records',
        manual: false,
        builtIn: true,
        answer: 'done',
        categories: ['personal', 'payments'],
      },
      {
        id: 'ebooks',
        name: 'OverDrive e-books',
        manual: true,
        answer: 'done',
        categories: ['personal', 'library-records'],
      },
      { id: 'rooms', name: 'Room booking', manual: true, answer: 'not-held', categories: ['library-records'] },
    ];
    const report = unescape(renderAccessReport(base({ systems })));
    const shared = (c: Category) => aboutOf(section(report, c), 'Who it is shared with');
    for (const s of systems.filter((x) => !x.builtIn))
      for (const c of CATEGORIES) {
        if (s.categories?.includes(c)) expect(shared(c), `${s.name} in ${c}`).toContain(s.name);
        else expect(shared(c), `${s.name} not in ${c}`).not.toContain(s.name);
      }
    for (const c of CATEGORIES) expect(shared(c)).not.toContain('Privacy Desk records');
  });
});
