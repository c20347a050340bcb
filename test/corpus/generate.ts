/**
 * Writes the hostile-input corpus (issue #14): one JSON file per route family, each case a plain
 * request to replay. The files are the corpus; this script only saves typing them by hand.
 * `npx tsx test/corpus/generate.ts` rewrites them.
 */
import { writeFileSync } from 'node:fs';

export interface CorpusCase {
  name: string;
  probes: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  /** Text, or bytes as base64 (`bodyBase64`), or a generated body (`bodyRepeat`: `head`, `unit` × `times`, `tail`). */
  body?: string;
  bodyBase64?: string;
  bodyRepeat?: { head: string; unit: string; times: number; tail: string };
  /** The statuses that are right here, and the body: a problem document, the HTML error page, or none (HEAD, or Node's own refusal before any handler). */
  expect: { status: number[]; body: 'problem' | 'html' | 'none' };
  /** Substrings of the hostile input that must not come back in the body or headers. */
  needles?: string[];
}

const M = 'Qz7hostile';
const JSON_H = { 'content-type': 'application/json' };
const FORM_H = { 'content-type': 'application/x-www-form-urlencoded' };
const HTML_FORM_H = { ...FORM_H, accept: 'text/html' };
const UNKNOWN_ID = '6f1d3a2e-9b7c-4e1a-8d2f-0c5b7a9e3f11';
const CARD = '21234000099999';
const problem = (...status: number[]) => ({ status, body: 'problem' as const });
const html = (...status: number[]) => ({ status, body: 'html' as const });

/** Hostile characters for every free-text field: controls, bidi overrides, and bytes that were not text. */
const HOSTILE_TEXT: [string, string][] = [
  ['NUL', `Love\u0000${M}`],
  ['ANSI escape', `\u001b[31m${M}`],
  ['CR LF header injection', `${M}\r\nSet-Cookie: x=1`],
  ['bell and backspace', `${M}\u0007\u0008`],
  ['C1 control NEL', `${M}\u0085`],
  ['right-to-left override', `\u202e${M}`],
  ['left-to-right embedding', `\u202a${M}\u202c`],
  ['first-strong isolate', `\u2068${M}\u2069`],
  ['right-to-left mark', `${M}\u200f`],
  ['replacement character (undecodable bytes)', `${M}\ufffd`],
];

const out: Record<string, CorpusCase[]> = {};
const add = (family: string, c: CorpusCase) => (out[family] ??= []).push(c);

// ---------- POST /api/requests (the public form, JSON and form posts) ----------
const R = 'requests';
const valid = { kind: 'access', cardNumber: CARD, lastName: 'Hostile' };
const jsonPost = (name: string, probes: string, body: string, needles?: string[]) =>
  add(R, {
    name,
    probes,
    method: 'POST',
    path: '/api/requests',
    headers: JSON_H,
    body,
    expect: problem(400),
    ...(needles ? { needles } : {}),
  });

for (const [label, body] of [
  ['truncated object', `{"kind":"access","cardNumber":"${CARD}"`],
  ['trailing comma', `{"kind":"access",}`],
  ['single quotes', `{'kind':'access'}`],
  ['bare word', 'access'],
  ['NaN literal', '{"kind":NaN}'],
  ['comment inside', '{"kind":"access" /* x */}'],
  ['two documents', '{}{}'],
  ['lone string', '"access"'],
  ['null', 'null'],
  ['number', '12345'],
  ['array of requests', `[${JSON.stringify(valid)}]`],
  ['empty array', '[]'],
  ['empty body', ''],
  ['whitespace only', '   \n\t '],
  ['unterminated string', `{"kind":"${M}`],
  ['invalid escape', `{"kind":"\\x41${M}"}`],
  ['lone surrogate escape', `{"kind":"access","cardNumber":"${CARD}","lastName":"\\ud800${M}"}`],
  ['huge number', `{"kind":"access","cardNumber":1e999999,"lastName":"${M}"}`],
  ['BOM before JSON', `\ufeff${JSON.stringify(valid)}`],
] as const)
  jsonPost(`malformed JSON: ${label}`, 'JSON the parser or schema refuses', body, body.includes(M) ? [M] : undefined);

jsonPost('unknown kind', 'discriminator outside the enum', JSON.stringify({ ...valid, kind: `${M}` }), [M]);
jsonPost('kind of wrong type', 'discriminator as object', JSON.stringify({ ...valid, kind: { $ne: 1 } }));
jsonPost(
  'court order through the public form',
  'a signed-in kind on the public route',
  JSON.stringify({ ...valid, kind: 'court-order' }),
);
jsonPost('card number as number', 'type confusion', JSON.stringify({ ...valid, cardNumber: 21234000099999 }));
jsonPost('card number as array', 'type confusion', JSON.stringify({ ...valid, cardNumber: [CARD] }));
jsonPost('card number with letters', 'field format', JSON.stringify({ ...valid, cardNumber: `${M}123456` }), [M]);
jsonPost('overlong card number', 'length limit', JSON.stringify({ ...valid, cardNumber: '1'.repeat(5000) }), [
  '1'.repeat(50),
]);
jsonPost('overlong last name', 'length limit', JSON.stringify({ ...valid, lastName: `${M}${'x'.repeat(5000)}` }), [M]);
jsonPost('unknown field', 'strict schema', JSON.stringify({ ...valid, [M]: 1 }), [M]);
jsonPost(
  'unknown field named like personal data',
  'an unknown key is not echoed',
  JSON.stringify({ ...valid, 'ada@example.org': 'x' }),
  ['ada@example.org'],
);
jsonPost(
  '__proto__ key',
  'prototype pollution',
  `{"kind":"access","cardNumber":"${CARD}","lastName":"X","__proto__":{"polluted${M}":true}}`,
  [M],
);
jsonPost(
  'constructor.prototype key',
  'prototype pollution',
  JSON.stringify({ ...valid, constructor: { prototype: { [`polluted${M}`]: true } } }),
  [M],
);
jsonPost(
  '__proto__ nested in changes',
  'prototype pollution',
  `{"kind":"correction","cardNumber":"${CARD}","lastName":"X","changes":{"__proto__":{"firstName":"${M}"}}}`,
  [M],
);
jsonPost(
  'prototype key in guardian',
  'prototype pollution',
  `{"kind":"guardian-access","guardian":{"__proto__":{"cardNumber":"${CARD}"},"lastName":"X"},"child":{"cardNumber":"${CARD}","lastName":"Y"}}`,
);
jsonPost('toString key', 'inherited member names', JSON.stringify({ ...valid, toString: M }), [M]);
jsonPost('hasOwnProperty key', 'inherited member names', JSON.stringify({ ...valid, hasOwnProperty: M }), [M]);
for (const depth of [100, 1000, 10_000])
  add(R, {
    name: `deeply nested JSON, ${depth} levels in a field`,
    probes: 'parser and validator recursion',
    method: 'POST',
    path: '/api/requests',
    headers: JSON_H,
    bodyRepeat: {
      head: `{"kind":"access","cardNumber":"${CARD}","lastName":`,
      unit: '[',
      times: depth,
      tail: `${']'.repeat(depth)}}`,
    },
    expect: problem(400),
  });
add(R, {
  name: 'deeply nested JSON, 10000 levels of objects',
  probes: 'parser and validator recursion',
  method: 'POST',
  path: '/api/requests',
  headers: JSON_H,
  bodyRepeat: { head: '', unit: '{"a":', times: 10_000, tail: `1${'}'.repeat(10_000)}` },
  expect: problem(400),
});
add(R, {
  name: 'deeply nested JSON, 10000 levels of arrays',
  probes: 'parser and validator recursion',
  method: 'POST',
  path: '/api/requests',
  headers: JSON_H,
  bodyRepeat: { head: '', unit: '[', times: 10_000, tail: ']'.repeat(10_000) },
  expect: problem(400),
});
add(R, {
  name: 'body over the handler limit (100 KB)',
  probes: 'size limit: 413',
  method: 'POST',
  path: '/api/requests',
  headers: JSON_H,
  bodyRepeat: { head: `{"kind":"access","cardNumber":"${CARD}","lastName":"`, unit: M, times: 10_000, tail: '"}' },
  expect: problem(413),
  needles: [M],
});
add(R, {
  name: 'form body over the handler limit',
  probes: 'size limit: 413',
  method: 'POST',
  path: '/api/requests',
  headers: FORM_H,
  bodyRepeat: { head: `kind=access&cardNumber=${CARD}&lastName=`, unit: M, times: 10_000, tail: '' },
  expect: problem(413),
  needles: [M],
});
add(R, {
  name: 'body over the gateway limit (10 MiB)',
  probes: 'size limit: 413 before any handler',
  method: 'POST',
  path: '/api/requests',
  headers: JSON_H,
  bodyRepeat: { head: '{"lastName":"', unit: 'x'.repeat(1024), times: 10 * 1024 + 1, tail: '"}' },
  expect: problem(413),
});
for (const [label, type] of [
  ['text/plain', 'text/plain'],
  ['XML', 'application/xml'],
  ['multipart without boundary', 'multipart/form-data'],
  ['octet-stream', 'application/octet-stream'],
  ['JSON lookalike', 'application/jsonx'],
  ['garbage type', `${M}/${M}`],
] as const)
  add(R, {
    name: `wrong content type: ${label}`,
    probes: 'content type not accepted',
    method: 'POST',
    path: '/api/requests',
    headers: { 'content-type': type },
    body: JSON.stringify({ ...valid, lastName: M }),
    expect: problem(400),
    needles: [M],
  });
add(R, {
  name: 'missing content type with a form body',
  probes: 'a form read as JSON',
  method: 'POST',
  path: '/api/requests',
  body: `kind=access&cardNumber=${CARD}&lastName=${M}`,
  expect: problem(400),
  needles: [M],
});
add(R, {
  name: 'multipart body to the request form',
  probes: 'multipart where it is not taken',
  method: 'POST',
  path: '/api/requests',
  headers: { 'content-type': 'multipart/form-data; boundary=XyZ' },
  body: `--XyZ\r\nContent-Disposition: form-data; name="kind"\r\n\r\naccess\r\n--XyZ\r\nContent-Disposition: form-data; name="lastName"\r\n\r\n${M}\r\n--XyZ--\r\n`,
  expect: problem(400),
  needles: [M],
});
// Invalid UTF-8: the bytes are not text, and must not become a request.
const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p)))).toString('base64');
for (const [label, seq] of [
  ['lone continuation byte', [0x80]],
  ['0xFF byte', [0xff]],
  ['overlong slash', [0xc0, 0xaf]],
  ['truncated three-byte sequence', [0xe0, 0xa4]],
  ['UTF-16 surrogate encoded', [0xed, 0xa0, 0x80]],
] as [string, number[]][]) {
  add(R, {
    name: `invalid UTF-8 in a JSON string: ${label}`,
    probes: 'bytes that are not UTF-8',
    method: 'POST',
    path: '/api/requests',
    headers: JSON_H,
    bodyBase64: bytes(`{"kind":"access","cardNumber":"${CARD}","lastName":"${M}`, seq, '"}'),
    expect: problem(400),
    needles: [M],
  });
  add(R, {
    name: `invalid UTF-8 in a JSON key: ${label}`,
    probes: 'bytes that are not UTF-8',
    method: 'POST',
    path: '/api/requests',
    headers: JSON_H,
    bodyBase64: bytes(`{"kind":"access","cardNumber":"${CARD}","lastName":"X","`, seq, '":1}'),
    expect: problem(400),
  });
  add(R, {
    name: `invalid UTF-8 in a form field: ${label}`,
    probes: 'bytes that are not UTF-8',
    method: 'POST',
    path: '/api/requests',
    headers: HTML_FORM_H,
    bodyBase64: bytes(`kind=access&cardNumber=${CARD}&lastName=${M}`, seq),
    expect: html(400),
    needles: [M],
  });
}
for (const [label, enc] of [
  ['percent-encoded 0xFF', '%FF'],
  ['percent-encoded overlong', '%C0%AF'],
  ['truncated percent sequence', '%E0%A4%A'],
  ['percent then nothing', '%'],
  ['percent with non-hex', '%ZZ'],
] as const)
  add(R, {
    name: `form field with ${label}`,
    probes: 'invalid percent-encoding in a form body',
    method: 'POST',
    path: '/api/requests',
    headers: HTML_FORM_H,
    body: `kind=access&cardNumber=${CARD}&lastName=${M}${enc}`,
    expect: html(400),
    needles: [M],
  });

// Every free-text field of every kind, with every hostile character, as JSON; a sample as forms.
const textFields: [string, (v: string) => unknown][] = [
  ['access lastName', (v) => ({ kind: 'access', cardNumber: CARD, lastName: v })],
  ['export lastName', (v) => ({ kind: 'export', cardNumber: CARD, lastName: v })],
  ['deletion lastName', (v) => ({ kind: 'deletion', cardNumber: CARD, lastName: v })],
  [
    'correction lastName',
    (v) => ({ kind: 'correction', cardNumber: CARD, lastName: v, changes: { firstName: 'Ada' } }),
  ],
  [
    'correction changes.firstName',
    (v) => ({ kind: 'correction', cardNumber: CARD, lastName: 'X', changes: { firstName: v } }),
  ],
  [
    'correction changes.lastName',
    (v) => ({ kind: 'correction', cardNumber: CARD, lastName: 'X', changes: { lastName: v } }),
  ],
  [
    'correction changes.address.street',
    (v) => ({
      kind: 'correction',
      cardNumber: CARD,
      lastName: 'X',
      changes: { address: { street: v, city: 'Hartford', state: 'CT', postalCode: '06101' } },
    }),
  ],
  [
    'correction changes.address.city',
    (v) => ({
      kind: 'correction',
      cardNumber: CARD,
      lastName: 'X',
      changes: { address: { street: '1 Main St', city: v, state: 'CT', postalCode: '06101' } },
    }),
  ],
  [
    'guardian-access guardian.lastName',
    (v) => ({
      kind: 'guardian-access',
      guardian: { cardNumber: CARD, lastName: v },
      child: { cardNumber: '21234000099998', lastName: 'Y' },
    }),
  ],
  [
    'guardian-access child.lastName',
    (v) => ({
      kind: 'guardian-access',
      guardian: { cardNumber: CARD, lastName: 'X' },
      child: { cardNumber: '21234000099998', lastName: v },
    }),
  ],
  [
    'third-party requester.name',
    (v) => ({
      kind: 'third-party',
      requester: { name: v, email: 'agent@example.net' },
      patron: { cardNumber: CARD, lastName: 'X' },
      categories: ['personal'],
      purpose: 'A lawful purpose.',
    }),
  ],
  [
    'third-party requester.organization',
    (v) => ({
      kind: 'third-party',
      requester: { name: 'Agent', email: 'agent@example.net', organization: v },
      patron: { cardNumber: CARD, lastName: 'X' },
      categories: ['personal'],
      purpose: 'A lawful purpose.',
    }),
  ],
  [
    'third-party purpose',
    (v) => ({
      kind: 'third-party',
      requester: { name: 'Agent', email: 'agent@example.net' },
      patron: { cardNumber: CARD, lastName: 'X' },
      categories: ['personal'],
      purpose: v,
    }),
  ],
  ['outreach-opt-out lastName', (v) => ({ kind: 'outreach-opt-out', cardNumber: CARD, lastName: v })],
];
/** Line breaks are fine where text may span lines (a purpose, a reason): not hostile there. */
const hostileFor = (multiLineField: boolean) =>
  HOSTILE_TEXT.filter(([label]) => !(multiLineField && label.startsWith('CR LF')));
for (const [field, make] of textFields)
  for (const [label, value] of hostileFor(field.endsWith('purpose')))
    jsonPost(
      `${label} in ${field}`,
      'control characters and bidi overrides in free text',
      JSON.stringify(make(value)),
      [M],
    );
for (const [label, value] of HOSTILE_TEXT) {
  jsonPost(
    `${label} in an email field`,
    'control characters in an email',
    JSON.stringify({ kind: 'outreach-opt-out', email: `${M}${value}@example.org` }),
    [M],
  );
  jsonPost(
    `${label} in a card number`,
    'control characters in a card number',
    JSON.stringify({ ...valid, cardNumber: `2123400009${value}` }),
    [M],
  );
  add(R, {
    name: `${label} in a form's last name (browser post)`,
    probes: 'control characters through the HTML form',
    method: 'POST',
    path: '/api/requests',
    headers: HTML_FORM_H,
    body: new URLSearchParams({ kind: 'access', cardNumber: CARD, lastName: value }).toString(),
    expect: html(400),
    needles: [M],
  });
}
for (const [label, body] of [
  ['__proto__ field name', `kind=access&cardNumber=${CARD}&__proto__.polluted${M}=1`],
  ['constructor.prototype field name', `kind=access&cardNumber=${CARD}&constructor.prototype.polluted${M}=1`],
  ['field nested five deep', `kind=access&cardNumber=${CARD}&a.b.c.d.e=${M}`],
  ['repeated kind', `kind=access&kind=deletion&cardNumber=${CARD}&lastName=X`],
  ['repeated card number', `kind=access&cardNumber=${CARD}&cardNumber=${CARD}&lastName=X`],
  ['unknown form field', `kind=access&cardNumber=${CARD}&lastName=X&${M}=1`],
  ['only an unknown kind', `kind=${M}`],
  ['empty form', ''],
  ['ampersands only', '&&&&'],
  ['equals only', '===='],
] as const)
  add(R, {
    name: `form: ${label}`,
    probes: 'form field names and shapes',
    method: 'POST',
    path: '/api/requests',
    headers: HTML_FORM_H,
    body,
    expect: html(400),
    needles: [M],
  });

// The status and cancel addresses: path parameters.
const TRAVERSALS: [string, string][] = [
  ['dot-dot encoded', '%2e%2e%2f%2e%2e%2fetc%2fpasswd'],
  ['dot-dot backslash', '..%5c..%5cwindows%5cwin.ini'],
  ['double-encoded dot-dot', '%252e%252e%252fetc%252fpasswd'],
  ['NUL byte', `${M}%00.json`],
  ['overlong UTF-8 slash', '%c0%afetc%c0%afpasswd'],
  ['encoded newline', `${M}%0d%0aSet-Cookie:x`],
  ['encoded RTL override', `%e2%80%ae${M}`],
  ['truncated percent-encoding', '%E0%A4%A'],
  ['lone percent', `${M}%`],
  ['invalid UTF-8 percent-encoding', '%ff%fe'],
  ['SQL-ish', `${M}'%20OR%201=1--`],
  ['overlong id (4000 chars)', `${M}${'a'.repeat(4000)}`],
  ['a UUID with a suffix', `${UNKNOWN_ID}${M}`],
];
for (const [label, p] of TRAVERSALS) {
  add(R, {
    name: `status id: ${label}`,
    probes: 'path parameter',
    method: 'GET',
    path: `/api/requests/${p}?key=${M}`,
    expect: problem(400, 404),
    needles: [M, 'passwd'],
  });
  add(R, {
    name: `cancel id: ${label}`,
    probes: 'path parameter',
    method: 'POST',
    path: `/api/requests/${p}/cancel?key=${M}`,
    headers: JSON_H,
    expect: problem(400, 404),
    needles: [M, 'passwd'],
  });
}
for (const [label, q] of [
  ['missing key', ''],
  ['wrong key', `?key=${M}`],
  ['overlong key', `?key=${M}${'k'.repeat(4000)}`],
  ['key with invalid percent-encoding', `?key=${M}%E0%A4%A`],
  ['repeated key', `?key=${M}&key=${M}2`],
  ['key with control characters', `?key=${M}%00%1b%0a`],
] as const) {
  add(R, {
    name: `status of an unknown request: ${label}`,
    probes: 'status key',
    method: 'GET',
    path: `/api/requests/${UNKNOWN_ID}${q}`,
    expect: problem(404),
    needles: [M],
  });
  add(R, {
    name: `status of a real request: ${label}`,
    probes: 'status key on a real request',
    method: 'GET',
    path: `/api/requests/{{requestId}}${q}`,
    expect: problem(404),
    needles: [M],
  });
  add(R, {
    name: `cancel of a real request: ${label}`,
    probes: 'status key on a real request',
    method: 'POST',
    path: `/api/requests/{{requestId}}/cancel${q}`,
    expect: problem(404),
    needles: [M],
  });
}
for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND'])
  add(R, {
    name: `${method} on the request form`,
    probes: 'unknown method: 405',
    method,
    path: '/api/requests',
    expect: problem(405),
  });
add(R, {
  name: 'a method no HTTP parser knows',
  probes: "refused by the server's HTTP parser before any handler",
  method: 'GETS',
  path: '/api/requests',
  expect: { status: [400, 405], body: 'none' },
});
for (const method of ['PUT', 'DELETE', 'PATCH'])
  add(R, {
    name: `${method} on a status address`,
    probes: 'unknown method: 405',
    method,
    path: `/api/requests/${UNKNOWN_ID}`,
    expect: problem(405),
  });
add(R, {
  name: 'GET on the cancel address',
  probes: 'unknown method: 405',
  method: 'GET',
  path: `/api/requests/${UNKNOWN_ID}/cancel`,
  expect: problem(405),
});

// ---------- /act/{token} and /download/{token}: emailed links ----------
const A = 'links';
const decodes = (p: string) => {
  try {
    decodeURIComponent(p);
    return true;
  } catch {
    return false;
  }
};
const FORGED = 'Tq3w8Zr5Yp1Lk7Vn2Xc9Bm4Hs6Jd0FgAe1Ru5Io8Pl'; // well-formed, never issued
for (const [route, type] of [
  ['act', 'html'],
  ['download', 'html'],
] as const) {
  add(A, {
    name: `${route}: a well-formed random token`,
    probes: 'forged token: 404',
    method: 'GET',
    path: `/${route}/${FORGED}`,
    expect: { status: [404], body: type },
    needles: [FORGED],
  });
  add(A, {
    name: `${route}: a one-character token`,
    probes: 'short token',
    method: 'GET',
    path: `/${route}/a`,
    expect: { status: [404], body: type },
  });
  add(A, {
    name: `${route}: overlong token (4000 chars)`,
    probes: 'overlong token',
    method: 'GET',
    path: `/${route}/${M}${'A'.repeat(4000)}`,
    expect: { status: [404], body: type },
    needles: [M],
  });
  add(A, {
    name: `${route}: token of 20000 chars`,
    probes: 'past the header limit: refused before any handler',
    method: 'GET',
    path: `/${route}/${'A'.repeat(20_000)}`,
    expect: { status: [414, 431], body: 'none' },
  });
  add(A, {
    name: `${route}: the real token with a suffix`,
    probes: 'near-miss token',
    method: 'GET',
    path: `/${route}/{{unusedLinkToken}}${M}`,
    expect: { status: [404], body: type },
    needles: [M],
  });
  add(A, {
    name: `${route}: token with query noise`,
    probes: 'query parameters on a forged link',
    method: 'GET',
    path: `/${route}/${FORGED}?view=order&${M}=1`,
    expect: { status: [404], body: type },
    needles: [M, FORGED],
  });
  for (const [label, p] of TRAVERSALS)
    add(A, {
      name: `${route}: token ${label}`,
      probes: 'path traversal and encodings in the token',
      method: 'GET',
      path: `/${route}/${p}`,
      // A malformed escape names nothing: the gateway answers 404 before the handler (a problem, not a page).
      expect: { status: [404], body: decodes(p) ? type : 'problem' },
      needles: [M, 'passwd'],
    });
  for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'HEAD'])
    add(A, {
      name: `${route}: ${method} on a link`,
      probes: method === 'HEAD' ? "a scanner's HEAD: changes nothing" : 'unknown method: 405',
      method,
      path: `/${route}/{{unusedLinkToken}}`,
      expect: { status: [405], body: method === 'HEAD' ? 'none' : 'problem' },
    });
}
// R1, R17: a POST is how a staff member's own link downloads once; a forged token finds nothing.
add(A, {
  name: 'download: POST of a well-formed random token',
  probes: 'forged token: 404',
  method: 'POST',
  path: `/download/${FORGED}`,
  expect: html(404),
  needles: [FORGED],
});
add(A, {
  name: 'act: an expired real link',
  probes: 'expired token: 410',
  method: 'GET',
  path: '/act/{{expiredLinkToken}}',
  expect: html(410),
});
add(A, {
  name: 'act: an expired real link, answered',
  probes: 'expired token: 410',
  method: 'POST',
  path: '/act/{{expiredLinkToken}}',
  headers: HTML_FORM_H,
  body: 'decision=confirm',
  expect: html(410),
});
add(A, {
  name: 'act: a used real link',
  probes: 'used token: 410',
  method: 'GET',
  path: '/act/{{usedLinkToken}}',
  expect: html(410),
});
add(A, {
  name: 'act: a used real link, answered again',
  probes: 'used token: 410',
  method: 'POST',
  path: '/act/{{usedLinkToken}}',
  headers: HTML_FORM_H,
  body: 'decision=confirm',
  expect: html(410),
});
// Answers to a forged link: the token is looked up first, so no bad answer counts against a real one.
const decisions: [string, string, Record<string, string>][] = [
  ['unknown decision', `decision=${M}`, HTML_FORM_H],
  ['no decision', '', HTML_FORM_H],
  ['decision as JSON', JSON.stringify({ decision: 'confirm' }), JSON_H],
  ['decision JSON with __proto__', `{"decision":"confirm","__proto__":{"polluted${M}":1}}`, JSON_H],
  ['malformed JSON', '{"decision":', JSON_H],
  ['text/plain', 'decision=confirm', { 'content-type': 'text/plain', accept: 'text/html' }],
  [
    'multipart',
    `--b\r\nContent-Disposition: form-data; name="decision"\r\n\r\nconfirm\r\n--b--\r\n`,
    { 'content-type': 'multipart/form-data; boundary=b' },
  ],
  ['reason with bidi override', `decision=could-not&reason=%E2%80%AE${M}`, HTML_FORM_H],
  ['reason with NUL', `decision=could-not&reason=${M}%00`, HTML_FORM_H],
  ['overlong reason', `decision=could-not&reason=${M}${'r'.repeat(5000)}`, HTML_FORM_H],
  ['invalid percent-encoding', `decision=confirm%E0%A4%A&reason=${M}`, HTML_FORM_H],
];
for (const [label, body, headers] of decisions)
  add(A, {
    name: `act: answer to a forged link, ${label}`,
    probes: 'answer body to a forged token: 404',
    method: 'POST',
    path: `/act/${FORGED}`,
    headers,
    body,
    expect: html(404),
    needles: [M, FORGED],
  });
add(A, {
  name: 'act: answer to a forged link, body over the handler limit',
  probes: 'size limit',
  method: 'POST',
  path: `/act/${FORGED}`,
  headers: HTML_FORM_H,
  bodyRepeat: { head: 'decision=confirm&reason=', unit: M, times: 10_000, tail: '' },
  expect: { status: [404, 413], body: 'html' },
  needles: [M],
});

// ---------- /api/court-orders (counsel, signed in) ----------
const C = 'court-orders';
const courtRoutes: [string, string][] = [
  ['POST', '/api/court-orders'],
  ['GET', `/api/court-orders/${UNKNOWN_ID}`],
  ['POST', `/api/court-orders/${UNKNOWN_ID}/submit`],
  ['POST', `/api/court-orders/${UNKNOWN_ID}/release-hold`],
];
const staffRoutes: [string, string][] = [
  ['GET', '/api/staff/requests'],
  ['POST', '/api/staff/requests'],
  ['GET', `/api/staff/requests/${UNKNOWN_ID}`],
  ['GET', `/api/staff/requests/${UNKNOWN_ID}/audit.csv`],
  ['POST', `/api/staff/requests/${UNKNOWN_ID}/extend`],
  ['GET', '/api/staff/stats'],
  // R12: a staff approval, opened and decided signed in; the link's secret in the body.
  ['POST', '/api/staff/approvals/open'],
  ['POST', '/api/staff/approvals/decide'],
  ['POST', '/api/staff/approvals/document'],
];
const BAD_AUTH: [string, Record<string, string>][] = [
  ['no Authorization header', {}],
  ['an empty bearer', { authorization: 'Bearer ' }],
  ['a random bearer', { authorization: `Bearer ${M}` }],
  ['Basic credentials', { authorization: `Basic ${Buffer.from(`counsel@library.example:${M}`).toString('base64')}` }],
  [
    'a JWT with alg none',
    {
      authorization: `Bearer ${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(`{"email":"${M}@x.org","cognito:groups":["counsel","privacy-officer"]}`).toString('base64url')}.`,
    },
  ],
  ['a real token with its signature changed', { authorization: 'Bearer {{counselTokenForged}}' }],
  ['a real token with its payload changed', { authorization: 'Bearer {{counselTokenRegrouped}}' }],
  ['an overlong bearer', { authorization: `Bearer ${M}${'z'.repeat(6000)}` }],
];
for (const [family, routes] of [
  [C, courtRoutes],
  ['staff', staffRoutes],
] as const)
  for (const [method, path] of routes)
    for (const [label, headers] of BAD_AUTH)
      add(family, {
        name: `${method} ${path.replace(UNKNOWN_ID, '{id}')} with ${label}`,
        probes: 'signed-in route without a valid token: 401',
        method,
        path,
        headers: { ...headers, ...(method === 'POST' ? JSON_H : {}) },
        ...(method === 'POST' ? { body: '{}' } : {}),
        expect: problem(401),
        needles: [M],
      });
for (const [method, path] of courtRoutes) {
  // R13: the privacy officer gives the second sign-off to release a hold: that route looks the order up (404).
  const release = path.endsWith('/release-hold');
  add(C, {
    name: `${method} ${path.replace(UNKNOWN_ID, '{id}')} by a privacy officer`,
    probes: release
      ? 'the privacy officer may sign a release: an unknown order is 404'
      : 'signed in without the counsel group: 403',
    method,
    path,
    headers: { authorization: 'Bearer {{staffToken}}', ...(method === 'POST' ? JSON_H : {}) },
    ...(method === 'POST' ? { body: '{}' } : {}),
    expect: problem(release ? 404 : 403),
  });
}
const counsel = { authorization: 'Bearer {{counselToken}}' };
const orderPost = (
  name: string,
  probes: string,
  body: string,
  headers: Record<string, string> = JSON_H,
  needles?: string[],
) =>
  add(C, {
    name: `create order: ${name}`,
    probes,
    method: 'POST',
    path: '/api/court-orders',
    headers: { ...counsel, ...headers },
    body,
    expect: problem(400),
    ...(needles ? { needles } : {}),
  });
orderPost('malformed JSON', 'parser', `{"caseNumber":"${M}"`, JSON_H, [M]);
orderPost('empty body', 'schema', '');
orderPost('an array', 'schema', '[]');
orderPost('__proto__ key', 'prototype pollution', `{"__proto__":{"polluted${M}":1}}`, JSON_H, [M]);
orderPost(
  'constructor.prototype key',
  'prototype pollution',
  JSON.stringify({ constructor: { prototype: { [`polluted${M}`]: 1 } } }),
  JSON_H,
  [M],
);
orderPost('unknown field', 'strict schema', JSON.stringify({ [M]: 1 }), JSON_H, [M]);
orderPost('text/plain', 'content type', '{}', { 'content-type': 'text/plain' });
orderPost(
  'multipart',
  'multipart where it is not taken',
  `--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n${M}\r\n--b--\r\n`,
  { 'content-type': 'multipart/form-data; boundary=b' },
  [M],
);
add(C, {
  name: 'create order: invalid UTF-8 bytes',
  probes: 'bytes that are not UTF-8',
  method: 'POST',
  path: '/api/court-orders',
  headers: { ...counsel, ...JSON_H },
  bodyBase64: bytes(`{"caseNumber":"${M}`, [0xff, 0xfe], '"}'),
  expect: problem(400),
  needles: [M],
});
add(C, {
  name: 'create order: 10000 levels of nesting',
  probes: 'recursion',
  method: 'POST',
  path: '/api/court-orders',
  headers: { ...counsel, ...JSON_H },
  bodyRepeat: { head: '', unit: '{"a":', times: 10_000, tail: `1${'}'.repeat(10_000)}` },
  expect: problem(400),
});
add(C, {
  name: 'create order: body over the handler limit',
  probes: 'size limit: 413',
  method: 'POST',
  path: '/api/court-orders',
  headers: { ...counsel, ...JSON_H },
  bodyRepeat: { head: '{"caseNumber":"', unit: M, times: 10_000, tail: '"}' },
  expect: problem(413),
  needles: [M],
});
// A well-formed order for a known patron but for one hostile field: only that field can refuse it.
const ORDER = {
  court: 'Superior Court, Hartford',
  caseNumber: 'HHD-CV26-6001234',
  orderType: 'subpoena',
  issuedOn: '2026-11-20',
  patronCardNumber: '21234000012345',
  categories: ['library-records'],
  nondisclosure: false,
};
for (const field of ['court', 'caseNumber'] as const)
  for (const [label, value] of HOSTILE_TEXT)
    orderPost(
      `${label} in ${field}`,
      'control characters and bidi overrides in free text',
      JSON.stringify({ ...ORDER, [field]: value }),
      JSON_H,
      [M],
    );
orderPost(
  'spreadsheet formula in caseNumber',
  'CSV injection',
  JSON.stringify({ ...ORDER, caseNumber: `=HYPERLINK("${M}")` }),
  JSON_H,
  [M],
);
// R12 R13a R16: the order's own dates and documents period refuse free text, and never echo it.
for (const field of ['nondisclosureEndsOn', 'returnOn'] as const)
  for (const [label, value] of HOSTILE_TEXT)
    orderPost(
      `${label} in ${field}`,
      'control characters and bidi overrides in a date field',
      JSON.stringify({ ...ORDER, nondisclosure: true, [field]: value }),
      JSON_H,
      [M],
    );
for (const [label, value] of [
  ['text', M],
  ['a number as text', `30${M}`],
  ['a huge number', 1e308],
  ['a negative number', -30],
  ['a fraction', 30.5],
] as const)
  orderPost(
    `${label} as documentRetentionDays`,
    'a bounded whole number',
    JSON.stringify({ ...ORDER, documentRetentionDays: value }),
    JSON_H,
    [M],
  );
orderPost(
  '__proto__ beside a valid order',
  'prototype pollution',
  `${JSON.stringify(ORDER).slice(0, -1)},"__proto__":{"polluted${M}":1}}`,
  JSON_H,
  [M],
);
for (const [label, p] of TRAVERSALS)
  for (const [method, suffix] of [
    ['GET', ''],
    ['POST', '/submit'],
    ['POST', '/release-hold'],
  ] as const)
    add(C, {
      name: `order id ${label} (${method}${suffix || ' view'})`,
      probes: 'path parameter',
      method,
      path: `/api/court-orders/${p}${suffix}`,
      headers: counsel,
      expect: problem(400, 404),
      needles: [M, 'passwd'],
    });
for (const method of ['PUT', 'DELETE', 'PATCH'])
  add(C, {
    name: `${method} on court orders`,
    probes: 'unknown method: 405',
    method,
    path: '/api/court-orders',
    headers: counsel,
    expect: problem(405),
  });

// ---------- /api/staff/* (the staff desk, signed in) ----------
const S = 'staff';
const staff = { authorization: 'Bearer {{staffToken}}' };
// R12: an approval's secret arrives in the body: whatever it holds, nothing is found, nothing echoed.
for (const route of ['open', 'decide', 'document'])
  for (const [label, body, status] of [
    ['a well-formed secret no link has', JSON.stringify({ token: `${M}${'A'.repeat(40)}`, decision: 'approve' }), 404],
    ['a path traversal as the secret', JSON.stringify({ token: `../../${M}/etc/passwd` }), 404],
    ['a secret too long', JSON.stringify({ token: `${M}${'A'.repeat(200)}` }), 400],
    ['a secret that is not text', JSON.stringify({ token: [M] }), 400],
    ['no secret', JSON.stringify({ decision: 'approve', reason: M }), 400],
    ['a body that is not JSON', `{"token":"${M}`, 400],
  ] as const)
    add(S, {
      name: `approval ${route}: ${label}`,
      probes: 'the approval secret in a signed-in body',
      method: 'POST',
      path: `/api/staff/approvals/${route}`,
      headers: { ...staff, ...JSON_H },
      body,
      expect: problem(status),
      needles: [M, 'passwd'],
    });
for (const [label, p] of TRAVERSALS)
  for (const [method, suffix] of [
    ['GET', ''],
    ['GET', '/audit.csv'],
    ['POST', '/extend'],
  ] as const)
    add(S, {
      name: `staff request id ${label} (${method}${suffix || ' detail'})`,
      probes: 'path parameter',
      method,
      path: `/api/staff/requests/${p}${suffix}`,
      headers: { ...staff, ...(method === 'POST' ? JSON_H : {}) },
      ...(method === 'POST' ? { body: JSON.stringify({ days: 10, reason: 'Need more time.' }) } : {}),
      expect: problem(400, 404),
      needles: [M, 'passwd'],
    });
for (const [label, q] of [
  ['unknown status filter', `?status=${M}`],
  ['unknown filter', `?${M}=1`],
  ['invalid percent-encoding', `?status=${M}%E0%A4%A`],
  ['control characters', `?status=${M}%00%1b`],
  ['overlong filter', `?status=${M}${'s'.repeat(4000)}`],
  ['__proto__ filter', `?__proto__=${M}`],
] as const)
  add(S, {
    name: `queue with ${label}`,
    probes: 'query string',
    method: 'GET',
    path: `/api/staff/requests${q}`,
    headers: staff,
    expect: problem(400),
    needles: [M],
  });
for (const [label, q] of [
  ['from not a date', `?from=${M}`],
  ['to not a date', `?to=${M}`],
  ['impossible date', '?from=2026-02-31'],
  ['invalid percent-encoding', `?from=2026-01-01%E0%A4%A${M}`],
  ['unknown parameter', `?${M}=1`],
] as const)
  add(S, {
    name: `stats with ${label}`,
    probes: 'query string',
    method: 'GET',
    path: `/api/staff/stats${q}`,
    headers: staff,
    expect: problem(400),
    needles: [M],
  });
const extendPost = (name: string, body: string, headers: Record<string, string> = JSON_H, needles: string[] = [M]) =>
  add(S, {
    name: `extend: ${name}`,
    probes: 'extension body',
    method: 'POST',
    path: `/api/staff/requests/{{requestId}}/extend`,
    headers: { ...staff, ...headers },
    body,
    expect: problem(400),
    needles,
  });
extendPost('malformed JSON', `{"days":`);
extendPost('days as text', JSON.stringify({ days: M, reason: 'x' }));
extendPost('days negative', JSON.stringify({ days: -45, reason: `${M}` }));
extendPost('days huge', JSON.stringify({ days: 1e308, reason: `${M}` }));
extendPost('unknown field', JSON.stringify({ days: 10, reason: 'x', [M]: 1 }));
extendPost('__proto__ key', `{"days":10,"reason":"x","__proto__":{"polluted${M}":1}}`);
for (const [label, value] of hostileFor(true))
  extendPost(`reason with ${label}`, JSON.stringify({ days: 10, reason: value }));
const deskPost = (name: string, body: string, headers: Record<string, string> = JSON_H) =>
  add(S, {
    name: `desk request: ${name}`,
    probes: 'desk request body',
    method: 'POST',
    path: '/api/staff/requests',
    headers: { ...staff, ...headers },
    body,
    expect: problem(400),
    needles: [M],
  });
deskPost('malformed JSON', `{"kind":"${M}`);
deskPost('unknown kind', JSON.stringify({ kind: M, cardNumber: CARD, lastName: 'X', documentKind: 'library-card' }));
deskPost('unknown document kind', JSON.stringify({ kind: 'access', cardNumber: CARD, lastName: 'X', documentKind: M }));
deskPost('__proto__ key', `{"kind":"access","cardNumber":"${CARD}","lastName":"X","__proto__":{"polluted${M}":1}}`);
deskPost('text/plain', JSON.stringify({ kind: 'access', lastName: M }), { 'content-type': 'text/plain' });
for (const [label, value] of HOSTILE_TEXT)
  deskPost(
    `last name with ${label}`,
    JSON.stringify({ kind: 'access', cardNumber: CARD, lastName: value, documentKind: 'photo-id' }),
  );
for (const method of ['PUT', 'DELETE', 'PATCH'])
  add(S, {
    name: `${method} on the staff queue`,
    probes: 'unknown method: 405',
    method,
    path: '/api/staff/requests',
    headers: staff,
    expect: problem(405),
  });
add(S, {
  name: 'POST on the stats',
  probes: 'unknown method: 405',
  method: 'POST',
  path: '/api/staff/stats',
  headers: staff,
  expect: problem(405),
});

// ---------- the local-only routes: the upload target (multipart) and the token issuer ----------
const L = 'local';
const upload = (
  name: string,
  probes: string,
  headers: Record<string, string>,
  body: string,
  status: number[] = [400],
  needles: string[] = [M],
) =>
  add(L, {
    name: `upload: ${name}`,
    probes,
    method: 'POST',
    path: '/_local/upload',
    headers,
    body,
    expect: problem(...status),
    needles,
  });
const mp = 'multipart/form-data; boundary=XyZ';
upload('no content type', 'multipart required', {}, `${M}`);
upload('JSON instead of multipart', 'multipart required', JSON_H, JSON.stringify({ key: M }));
upload('multipart without boundary', 'broken multipart', { 'content-type': 'multipart/form-data' }, `--XyZ\r\n${M}`);
upload('boundary that never appears', 'broken multipart', { 'content-type': mp }, `${M} no parts here`);
upload(
  'no closing boundary',
  'broken multipart',
  { 'content-type': mp },
  `--XyZ\r\nContent-Disposition: form-data; name="key"\r\n\r\n${M}`,
);
upload('part without headers', 'broken multipart', { 'content-type': mp }, `--XyZ\r\n\r\n${M}\r\n--XyZ--\r\n`);
upload(
  'part without a name',
  'broken multipart',
  { 'content-type': mp },
  `--XyZ\r\nContent-Disposition: form-data\r\n\r\n${M}\r\n--XyZ--\r\n`,
);
upload('empty multipart', 'no fields', { 'content-type': mp }, '--XyZ--\r\n', [400, 403]);
upload(
  'fields but no file',
  'policy not met',
  { 'content-type': mp },
  `--XyZ\r\nContent-Disposition: form-data; name="key"\r\n\r\nincoming/${M}\r\n--XyZ--\r\n`,
  [400, 403],
);
upload(
  'a file without the policy',
  'policy not met',
  { 'content-type': mp },
  `--XyZ\r\nContent-Disposition: form-data; name="file"; filename="${M}.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7 ${M}\r\n--XyZ--\r\n`,
  [400, 403],
);
upload(
  'a forged policy and signature',
  'forged upload policy',
  { 'content-type': mp },
  [
    `--XyZ\r\nContent-Disposition: form-data; name="key"\r\n\r\nincoming/${M}\r\n`,
    `--XyZ\r\nContent-Disposition: form-data; name="Policy"\r\n\r\n${Buffer.from(`{"expiration":"2999-01-01T00:00:00Z","conditions":[]}`).toString('base64')}\r\n`,
    `--XyZ\r\nContent-Disposition: form-data; name="X-Amz-Signature"\r\n\r\n${'0'.repeat(64)}\r\n`,
    `--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7\r\n--XyZ--\r\n`,
  ].join(''),
  [400, 403],
);
upload(
  'key with path traversal',
  'path traversal in the object key',
  { 'content-type': mp },
  `--XyZ\r\nContent-Disposition: form-data; name="key"\r\n\r\n../../${M}/etc/passwd\r\n--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF\r\n--XyZ--\r\n`,
  [400, 403],
  [M, 'passwd'],
);
upload(
  'filename with path traversal',
  'path traversal in the filename',
  { 'content-type': mp },
  `--XyZ\r\nContent-Disposition: form-data; name="file"; filename="../../${M}.pdf"\r\n\r\n%PDF\r\n--XyZ--\r\n`,
  [400, 403],
);
upload(
  '__proto__ field',
  'prototype pollution',
  { 'content-type': mp },
  `--XyZ\r\nContent-Disposition: form-data; name="__proto__"\r\n\r\n${M}\r\n--XyZ--\r\n`,
  [400, 403],
);
upload(
  'field name with control characters',
  'control characters',
  { 'content-type': mp },
  `--XyZ\r\nContent-Disposition: form-data; name="k\u001b${M}"\r\n\r\nv\r\n--XyZ--\r\n`,
  [400, 403],
);
upload(
  'boundary longer than 70 characters',
  'broken multipart',
  { 'content-type': `multipart/form-data; boundary=${M}${'b'.repeat(100)}` },
  `--${M}${'b'.repeat(100)}\r\n`,
  [400],
);
add(L, {
  name: 'upload: invalid UTF-8 in a field',
  probes: 'bytes that are not UTF-8',
  method: 'POST',
  path: '/_local/upload',
  headers: { 'content-type': mp },
  bodyBase64: bytes(`--XyZ\r\nContent-Disposition: form-data; name="key"\r\n\r\n${M}`, [0xff, 0xc0], '\r\n--XyZ--\r\n'),
  expect: problem(400, 403),
  needles: [M],
});
add(L, {
  name: 'upload: body over the upload limit (11 MiB + 1 KiB)',
  probes: 'size limit: 413',
  method: 'POST',
  path: '/_local/upload',
  headers: { 'content-type': mp },
  bodyRepeat: {
    head: '--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n',
    unit: 'x'.repeat(1024),
    times: 11 * 1024 + 1,
    tail: '\r\n--XyZ--\r\n',
  },
  expect: problem(413),
});
for (const method of ['GET', 'PUT', 'DELETE'])
  add(L, {
    name: `upload: ${method}`,
    probes: 'unknown method: 405',
    method,
    path: '/_local/upload',
    expect: problem(405),
  });
const tokenPost = (name: string, body: string, headers: Record<string, string> = JSON_H, status: number[] = [400]) =>
  add(L, {
    name: `token: ${name}`,
    probes: 'the local token issuer',
    method: 'POST',
    path: '/_local/token',
    headers,
    body,
    expect: problem(...status),
    needles: [M],
  });
tokenPost('malformed JSON', `{"email":"${M}`);
tokenPost('form post (cross-site)', `email=${M}%40x.org&groups=counsel`, FORM_H, [415]);
tokenPost(
  'text/plain (cross-site)',
  JSON.stringify({ email: `${M}@x.org`, groups: ['counsel'] }),
  { 'content-type': 'text/plain' },
  [415],
);
tokenPost('unknown group', JSON.stringify({ email: 'counsel@library.example', groups: [M] }));
tokenPost('not a staff member', JSON.stringify({ email: `${M}@example.org`, groups: ['counsel'] }), JSON_H, [403]);
tokenPost(
  'staff member without that group',
  JSON.stringify({ email: 'counsel@library.example', groups: ['privacy-officer'] }),
  JSON_H,
  [403],
);
tokenPost('__proto__ key', `{"email":"counsel@library.example","groups":["counsel"],"__proto__":{"polluted${M}":1}}`);
tokenPost(
  'email with control characters',
  JSON.stringify({ email: `counsel\u0000${M}@library.example`, groups: ['counsel'] }),
);
tokenPost('email with bidi override', JSON.stringify({ email: `\u202e${M}@library.example`, groups: ['counsel'] }));
tokenPost('10000 levels of nesting', `${'['.repeat(10_000)}${']'.repeat(10_000)}`);
for (const method of ['GET', 'PUT'])
  add(L, {
    name: `token: ${method}`,
    probes: 'unknown method: 405',
    method,
    path: '/_local/token',
    expect: problem(405),
  });

// ---------- anything else: unknown paths and percent-encoding outside routes ----------
const O = 'other';
for (const [label, p] of [
  ['traversal to the dataset', '/%2e%2e/local/demo-dataset.json'],
  ['traversal outside web', '/..%2f..%2fpackage.json'],
  ['encoded slash in a page name', '/staff.html%2f..%2f..%2fpackage.json'],
  ['truncated percent-encoding', '/%E0%A4%A'],
  ['NUL in a page name', `/index.html%00${M}`],
  ['an unknown API route', `/api/${M}`],
  ['an unknown staff route', `/api/staff/${M}`],
  ['a route with a trailing slash', '/api/requests/'],
  ['double slash', '//api/requests'],
  ['a dot file', '/.env'],
  ['a git folder', '/.git/config'],
] as const)
  add(O, {
    name: `GET ${label}`,
    probes: 'unknown path: 404',
    method: 'GET',
    path: p,
    expect: problem(404),
    needles: [M, 'passwd', 'Lovelace'],
  });

for (const [family, cases] of Object.entries(out))
  writeFileSync(new URL(`./${family}.json`, import.meta.url), `${JSON.stringify(cases, null, 1)}\n`);
console.log(
  Object.entries(out)
    .map(([f, c]) => `${f}: ${c.length}`)
    .join(', '),
  '=',
  Object.values(out).flat().length,
);
