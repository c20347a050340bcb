import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../functions/domain/errors.ts';
import { requestInputSchema } from '../../functions/domain/request-input.ts';
import { MAX_BODY_BYTES, formToObject, parseBody } from '../../functions/lib/http.ts';

const card = '21234000012345';

/** One valid body per kind, as CONTRACT.md "Requests" lists them. */
const VALID = {
  access: { kind: 'access', cardNumber: card, lastName: 'Lovelace' },
  export: { kind: 'export', cardNumber: card, lastName: 'Lovelace' },
  deletion: { kind: 'deletion', cardNumber: card, lastName: 'Lovelace' },
  correction: {
    kind: 'correction',
    cardNumber: card,
    lastName: 'Lovelace',
    changes: {
      firstName: 'Augusta Ada',
      lastName: 'King',
      email: 'ada@example.org',
      phone: '+1 (203) 555-0100',
      address: { street: '2 Main St', city: 'Greenwich', state: 'CT', postalCode: '06830' },
      dateOfBirth: '1990-05-01',
    },
  },
  'guardian-access': {
    kind: 'guardian-access',
    guardian: { cardNumber: '21234000010000', lastName: 'Byron' },
    child: { cardNumber: card, lastName: 'Lovelace' },
  },
  'third-party': {
    kind: 'third-party',
    requester: { name: 'Jane Counsel', email: 'jane@firm.example', organization: 'Firm LLP' },
    patron: { cardNumber: card, lastName: 'Lovelace' },
    categories: ['library-records', 'payments'],
    purpose: 'An insurance claim the patron asked us to handle.',
  },
  'outreach-opt-out': { kind: 'outreach-opt-out', cardNumber: card, lastName: 'Lovelace' },
  'outreach-opt-out (donor)': { kind: 'outreach-opt-out', email: 'rosa@example.net' },
} as const;

/** Runs a parse that must fail and returns the issue paths. */
function refusedPaths(body: unknown): string[] {
  const res = requestInputSchema.safeParse(body);
  expect(res.success, JSON.stringify(body).slice(0, 200)).toBe(false);
  return res.error?.issues.map((i) => i.path.join('.')) ?? [];
}

const isoDay = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

describe('requestInputSchema (CONTRACT.md requests)', () => {
  it.each(Object.entries(VALID))('CONTRACT: a valid %s body is accepted as it is', (_kind, body) => {
    expect(requestInputSchema.parse(body)).toEqual(body);
  });

  it.each([
    [
      'card and email together',
      { kind: 'outreach-opt-out', cardNumber: card, lastName: 'Lovelace', email: 'a@example.org' },
      'email',
    ],
    ['neither card nor email', { kind: 'outreach-opt-out' }, 'email'],
    ['a malformed email', { kind: 'outreach-opt-out', email: 'rosa at example.net' }, 'email'],
    ['an oversized email', { kind: 'outreach-opt-out', email: `${'r'.repeat(250)}@example.net` }, 'email'],
    ['a card without its last name', { kind: 'outreach-opt-out', cardNumber: card }, 'lastName'],
    ['a last name without a card', { kind: 'outreach-opt-out', lastName: 'Lovelace' }, 'cardNumber'],
    ['a card that is not digits', { kind: 'outreach-opt-out', cardNumber: '12AB', lastName: 'Lovelace' }, 'cardNumber'],
    ['an unknown field', { kind: 'outreach-opt-out', email: 'rosa@example.net', lists: 'all' }, ''],
  ])('R20: an outreach opt-out with %s is refused, naming the field', (_what, body, path) => {
    expect(refusedPaths(body)).toContain(path);
  });

  it('R6: a correction may name a single change', () => {
    expect(
      requestInputSchema.safeParse({ ...VALID.access, kind: 'correction', changes: { email: 'new@example.org' } })
        .success,
    ).toBe(true);
  });

  it('R6: a date of birth of today is allowed', () => {
    expect(
      requestInputSchema.safeParse({ ...VALID.access, kind: 'correction', changes: { dateOfBirth: isoDay(0) } })
        .success,
    ).toBe(true);
  });

  it('R14: third-party organization is optional, and a single category may be a string (one form checkbox)', () => {
    const { organization: _o, ...requester } = VALID['third-party'].requester;
    const parsed = requestInputSchema.parse({ ...VALID['third-party'], requester, categories: 'personal' });
    expect(parsed).toMatchObject({ kind: 'third-party', categories: ['personal'] });
  });

  it('R7: surrounding whitespace in card and name is trimmed', () => {
    expect(requestInputSchema.parse({ kind: 'access', cardNumber: ` ${card} `, lastName: '  Lovelace ' })).toEqual(
      VALID.access,
    );
  });

  it('CONTRACT: an unknown kind is refused', () => {
    expect(refusedPaths({ ...VALID.access, kind: 'erase-everything' })).toEqual(['kind']);
  });

  it('CONTRACT: a missing kind is refused', () => {
    const { kind: _k, ...rest } = VALID.access;
    expect(refusedPaths(rest)).toEqual(['kind']);
  });

  it('R7: a missing cardNumber is refused', () => {
    const { cardNumber: _c, ...rest } = VALID.access;
    expect(refusedPaths(rest)).toEqual(['cardNumber']);
  });

  it.each([
    '2123400001234X',
    'ABCDEF',
    '12345',
    '1'.repeat(21),
    '1234 5678',
    '-123456',
    '１２３４５６',
    '123456\n'.repeat(2),
  ])('R7: card number %j is refused (6 to 20 ASCII digits)', (cardNumber) => {
    expect(refusedPaths({ ...VALID.access, cardNumber })).toEqual(['cardNumber']);
  });

  it('R7: a last name of 10,000 characters is refused', () => {
    expect(refusedPaths({ ...VALID.access, lastName: 'L'.repeat(10_000) })).toEqual(['lastName']);
  });

  it('R7: a blank last name is refused', () => {
    expect(refusedPaths({ ...VALID.access, lastName: '   ' })).toEqual(['lastName']);
  });

  it('CONTRACT: an extra unknown field is refused, not ignored (strict)', () => {
    expect(refusedPaths({ ...VALID.access, email: 'someone@example.org' })).toHaveLength(1);
    expect(
      refusedPaths({
        ...VALID['guardian-access'],
        guardian: { ...VALID['guardian-access'].guardian, dateOfBirth: '1980-01-01' },
      }),
    ).toEqual(['guardian']);
    expect(refusedPaths({ ...VALID.correction, changes: { ...VALID.correction.changes, password: 'x' } })).toEqual([
      'changes',
    ]);
  });

  it('R7: an access request cannot carry an address to send the link to', () => {
    // The link goes only to the email on file: the form has no place for another address.
    expect(requestInputSchema.safeParse({ ...VALID.access, email: 'attacker@example.org' }).success).toBe(false);
  });

  it('R6: a correction with no changes is refused', () => {
    expect(refusedPaths({ ...VALID.access, kind: 'correction', changes: {} })).toEqual(['changes']);
  });

  it('R6: a correction without a changes object is refused', () => {
    expect(refusedPaths({ ...VALID.access, kind: 'correction' })).toEqual(['changes']);
  });

  it.each([
    'not-an-email',
    'a@',
    '@example.org',
    'a b@example.org',
    'ada@@example.org',
    `${'a'.repeat(250)}@example.org`,
  ])('R6: a correction with the malformed email %j is refused', (email) => {
    expect(refusedPaths({ ...VALID.access, kind: 'correction', changes: { email } })).toEqual(['changes.email']);
  });

  it.each([isoDay(2), '2999-01-01'])('R6: a correction with the future date of birth %s is refused', (dateOfBirth) => {
    expect(refusedPaths({ ...VALID.access, kind: 'correction', changes: { dateOfBirth } })).toEqual([
      'changes.dateOfBirth',
    ]);
  });

  it.each(['1990-02-30', '1990-13-01', '01/05/1990', '1990-5-1', '1990-05-01T00:00:00Z'])(
    'R6: a correction with the malformed date of birth %j is refused',
    (dateOfBirth) => {
      expect(refusedPaths({ ...VALID.access, kind: 'correction', changes: { dateOfBirth } })).toEqual([
        'changes.dateOfBirth',
      ]);
    },
  );

  it('R6: a correction with a malformed phone or a partial address is refused', () => {
    expect(refusedPaths({ ...VALID.access, kind: 'correction', changes: { phone: 'call me maybe' } })).toEqual([
      'changes.phone',
    ]);
    expect(
      refusedPaths({ ...VALID.access, kind: 'correction', changes: { address: { street: '2 Main St' } } })[0],
    ).toMatch(/^changes\.address\./);
  });

  it('R14: a third-party request with an unknown category is refused', () => {
    expect(refusedPaths({ ...VALID['third-party'], categories: ['library-records', 'browsing-history'] })).toEqual([
      'categories.1',
    ]);
  });

  it('R14: a third-party request with no category is refused', () => {
    expect(refusedPaths({ ...VALID['third-party'], categories: [] })).toEqual(['categories']);
  });

  it('R14: a third-party request with a malformed requester email is refused', () => {
    expect(refusedPaths({ ...VALID['third-party'], requester: { name: 'Jane', email: 'jane' } })).toEqual([
      'requester.email',
    ]);
  });

  it('R9/R10: a guardian request needs both identities', () => {
    const { child: _c, ...rest } = VALID['guardian-access'];
    expect(refusedPaths(rest)).toEqual(['child']);
  });

  it.each([
    ['a number for lastName', { ...VALID.access, lastName: 12345 }, 'lastName'],
    ['a number for cardNumber', { ...VALID.access, cardNumber: 21234000012345 }, 'cardNumber'],
    ['an array for kind', { ...VALID.access, kind: ['access'] }, 'kind'],
    ['an object for lastName', { ...VALID.access, lastName: { $ne: null } }, 'lastName'],
    ['null for cardNumber', { ...VALID.access, cardNumber: null }, 'cardNumber'],
    ['a string for changes', { ...VALID.access, kind: 'correction', changes: 'everything' }, 'changes'],
  ])('CONTRACT: wrong types are refused (%s)', (_what, body, path) => {
    expect(refusedPaths(body)).toEqual([path]);
  });

  it.each([null, [], 'access', 42, true])('CONTRACT: a body that is not an object (%j) is refused', (body) => {
    expect(requestInputSchema.safeParse(body).success).toBe(false);
  });
});

describe('formToObject (web forms)', () => {
  afterEach(() => {
    // Belt and braces: a failing pollution test must not poison the others.
    delete (Object.prototype as Record<string, unknown>).polluted;
  });

  it('CONTRACT: plain fields become properties', () => {
    expect(formToObject('kind=access&cardNumber=21234000012345&lastName=O%27Brien')).toEqual({
      kind: 'access',
      cardNumber: card,
      lastName: "O'Brien",
    });
  });

  it('CONTRACT: dotted names nest', () => {
    expect(
      formToObject(
        'kind=guardian-access&guardian.cardNumber=111111&guardian.lastName=Byron&child.cardNumber=222222&child.lastName=Lovelace',
      ),
    ).toEqual({
      kind: 'guardian-access',
      guardian: { cardNumber: '111111', lastName: 'Byron' },
      child: { cardNumber: '222222', lastName: 'Lovelace' },
    });
    expect(formToObject('changes.address.street=2+Main+St&changes.address.city=Greenwich')).toEqual({
      changes: { address: { street: '2 Main St', city: 'Greenwich' } },
    });
  });

  it('R14: repeated names make arrays, in order', () => {
    expect(formToObject('categories=personal&categories=payments&categories=donations')).toEqual({
      categories: ['personal', 'payments', 'donations'],
    });
  });

  it('R6: empty fields are dropped, so an untouched optional field is absent', () => {
    expect(formToObject('kind=correction&changes.email=&changes.phone=&changes.firstName=Ada&categories=')).toEqual({
      kind: 'correction',
      changes: { firstName: 'Ada' },
    });
  });

  it('R5: a form of only empty fields is an empty object', () => {
    expect(formToObject('a=&b=')).toEqual({});
    expect(formToObject('')).toEqual({});
  });

  it('CONTRACT: a form round-trips through the schema like JSON does', () => {
    const form = new URLSearchParams({
      kind: 'third-party',
      'requester.name': 'Jane Counsel',
      'requester.email': 'jane@firm.example',
      'patron.cardNumber': card,
      'patron.lastName': 'Lovelace',
      purpose: 'A claim.',
    });
    form.append('categories', 'personal');
    expect(requestInputSchema.safeParse(formToObject(form.toString())).success).toBe(true);
  });

  it.each([
    '__proto__.polluted=yes',
    '__proto__%5Bpolluted%5D=yes',
    'a.b.c.d.e.f=deep',
    'a.b.c.d.e=deep',
    '.lastName=x',
    'lastName.=x',
    'a..b=x',
    '1abc=x',
    'last-name=x',
    'last%20name=x',
    `${'a'.repeat(42)}=x`,
    'caf%C3%A9=x',
  ])('R5: the hostile or malformed name in %j is ignored', (body) => {
    expect(formToObject(body)).toEqual({});
  });

  it('R5: hostile names never pollute Object.prototype', () => {
    const out = formToObject(
      '__proto__.polluted=yes&constructor.prototype.polluted=yes&prototype.polluted=yes&a.__proto__.polluted=yes',
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });

  it('CONTRACT: four levels of nesting are the limit that is kept', () => {
    expect(formToObject('a.b.c.d=ok')).toEqual({ a: { b: { c: { d: 'ok' } } } });
  });

  it('CONTRACT: values are decoded and kept verbatim, including markup', () => {
    expect(formToObject('lastName=%3Cscript%3Ealert(1)%3C%2Fscript%3E')).toEqual({
      lastName: '<script>alert(1)</script>',
    });
  });
});

describe('parseBody (HTTP bodies)', () => {
  function httpEvent(
    body: string | undefined,
    contentType: string | undefined,
    opts: { base64?: boolean; headerName?: string } = {},
  ): APIGatewayProxyEventV2 {
    const headers: Record<string, string> = {};
    if (contentType !== undefined) headers[opts.headerName ?? 'content-type'] = contentType;
    return {
      version: '2.0',
      routeKey: 'POST /api/requests',
      rawPath: '/api/requests',
      rawQueryString: '',
      headers,
      requestContext: {
        accountId: '123456789012',
        apiId: 'local',
        domainName: 'localhost',
        domainPrefix: 'localhost',
        http: {
          method: 'POST',
          path: '/api/requests',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'vitest',
        },
        requestId: 'req-1',
        routeKey: 'POST /api/requests',
        stage: '$default',
        time: '01/Mar/2026:09:00:00 +0000',
        timeEpoch: Date.parse('2026-03-01T09:00:00Z'),
      },
      isBase64Encoded: opts.base64 ?? false,
      ...(body === undefined ? {} : { body: opts.base64 ? Buffer.from(body).toString('base64') : body }),
    };
  }

  function refusal(event: APIGatewayProxyEventV2): InvalidInputError {
    try {
      parseBody(event, requestInputSchema);
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidInputError);
      return e as InvalidInputError;
    }
    throw new Error('expected the body to be refused');
  }

  it('CONTRACT: parses a JSON body', () => {
    expect(parseBody(httpEvent(JSON.stringify(VALID.access), 'application/json'), requestInputSchema)).toEqual(
      VALID.access,
    );
  });

  it('CONTRACT: parses JSON with a charset, a capitalised header name and a capitalised type', () => {
    expect(
      parseBody(
        httpEvent(JSON.stringify(VALID.export), 'Application/JSON; charset=utf-8', { headerName: 'Content-Type' }),
        requestInputSchema,
      ),
    ).toEqual(VALID.export);
  });

  it('CONTRACT: parses a base64-encoded body (as API Gateway delivers some)', () => {
    expect(
      parseBody(httpEvent(JSON.stringify(VALID.deletion), 'application/json', { base64: true }), requestInputSchema),
    ).toEqual(VALID.deletion);
  });

  it('CONTRACT: parses an urlencoded form', () => {
    const form =
      'kind=guardian-access&guardian.cardNumber=21234000010000&guardian.lastName=Byron&child.cardNumber=21234000012345&child.lastName=Lovelace';
    expect(parseBody(httpEvent(form, 'application/x-www-form-urlencoded'), requestInputSchema)).toEqual(
      VALID['guardian-access'],
    );
  });

  it('CONTRACT: invalid JSON is InvalidInputError', () => {
    expect(refusal(httpEvent('{"kind": "access",', 'application/json')).message).toMatch(/not valid JSON/);
  });

  it('CONTRACT: a missing body is validated as an empty object and refused', () => {
    expect(refusal(httpEvent(undefined, 'application/json')).issues.map((i) => i.path)).toEqual(['kind']);
  });

  it.each(['text/plain', 'multipart/form-data; boundary=x', 'application/xml', 'application/jsonp'])(
    'CONTRACT: the unsupported content type %s is InvalidInputError',
    (type) => {
      const e = refusal(httpEvent(JSON.stringify(VALID.access), type));
      expect(e.message).toMatch(/application\/json or a form/);
    },
  );

  it('CONTRACT: a body over 64 KiB is InvalidInputError before it is parsed', () => {
    const big = JSON.stringify({ ...VALID.access, lastName: 'L'.repeat(MAX_BODY_BYTES) });
    expect(MAX_BODY_BYTES).toBe(64 * 1024);
    expect(refusal(httpEvent(big, 'application/json')).message).toMatch(/too large/);
    // Not parsed: even invalid JSON of that size is refused for its size.
    expect(refusal(httpEvent(`{${'x'.repeat(MAX_BODY_BYTES)}`, 'application/json')).message).toMatch(/too large/);
  });

  it('CONTRACT: the size limit counts bytes, not characters', () => {
    const body = JSON.stringify({ ...VALID.access, lastName: '€'.repeat(25_000) }); // ~75 KB, 25k characters
    expect(body.length).toBeLessThan(MAX_BODY_BYTES);
    expect(refusal(httpEvent(body, 'application/json')).message).toMatch(/too large/);
  });

  it('CONTRACT: the size limit applies to the decoded base64 body, and to forms', () => {
    expect(
      refusal(
        httpEvent(`lastName=${'L'.repeat(MAX_BODY_BYTES)}`, 'application/x-www-form-urlencoded', { base64: true }),
      ).message,
    ).toMatch(/too large/);
  });

  it('CONTRACT: a body just under the limit is parsed (and then refused only by the schema)', () => {
    const body = JSON.stringify({ ...VALID.access, lastName: 'L'.repeat(MAX_BODY_BYTES - 200) });
    expect(refusal(httpEvent(body, 'application/json')).issues.map((i) => i.path)).toEqual(['lastName']);
  });

  it('R5: errors list the paths of bad fields', () => {
    const e = refusal(
      httpEvent(
        JSON.stringify({ kind: 'correction', cardNumber: 'nope', lastName: 'Lovelace', changes: { email: 'bad' } }),
        'application/json',
      ),
    );
    expect(e.issues.map((i) => i.path).sort()).toEqual(['cardNumber', 'changes.email']);
    for (const issue of e.issues) expect(issue.message.length).toBeGreaterThan(0);
  });

  it('R5: errors never contain the submitted values (JSON)', () => {
    const body = {
      kind: 'correction',
      cardNumber: 'SECRET-CARD-777',
      lastName: 'SECRET-VALUE-123',
      changes: {
        email: 'SECRET-EMAIL-456',
        phone: 'SECRET-PHONE-000',
        dateOfBirth: '2999-12-31',
        firstName: 'F'.repeat(101),
      },
    };
    const e = refusal(httpEvent(JSON.stringify(body), 'application/json'));
    const text = JSON.stringify({ message: e.message, issues: e.issues, error: e });
    for (const value of [
      'SECRET-CARD-777',
      'SECRET-VALUE-123',
      'SECRET-EMAIL-456',
      'SECRET-PHONE-000',
      '2999-12-31',
      'F'.repeat(101),
    ])
      expect(text).not.toContain(value);
  });

  it('R5: errors never contain the submitted values (form)', () => {
    const e = refusal(
      httpEvent('kind=access&cardNumber=12AB&lastName=SECRET-VALUE-123', 'application/x-www-form-urlencoded'),
    );
    expect(e.issues.map((i) => i.path)).toEqual(['cardNumber']);
    expect(JSON.stringify({ message: e.message, issues: e.issues })).not.toContain('SECRET-VALUE-123');
    expect(JSON.stringify({ message: e.message, issues: e.issues })).not.toContain('12AB');
  });

  it('R5: an unknown kind is refused without echoing it', () => {
    const e = refusal(httpEvent(JSON.stringify({ ...VALID.access, kind: 'SECRET-KIND-999' }), 'application/json'));
    expect(JSON.stringify(e.issues)).not.toContain('SECRET-KIND-999');
  });

  it('R5: invalid JSON is refused without echoing the body', () => {
    const e = refusal(httpEvent('{"lastName": "SECRET-VALUE-123", ', 'application/json'));
    expect(JSON.stringify({ message: e.message, issues: e.issues })).not.toContain('SECRET-VALUE-123');
  });
});
