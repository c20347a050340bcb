import { CATEGORIES, type Category } from '../domain/categories.ts';
import { IntegrityError } from '../domain/errors.ts';
import { policyVersionWords, type CategoryPolicy, type Policy } from '../domain/policy.ts';
import { courtOrderDocumentsStatement } from '../domain/court-order.ts';
import { retentionStatements, systemRetentionStatements } from '../domain/retention.ts';
import type { SystemsFile } from '../domain/systems.ts';
import { html, SafeHtml } from '../lib/html.ts';
import { HEAD_META } from './layout.ts';
import type { Donation, Fine, Hold, Patron, PatronRecords, SharedContent } from '../domain/dataset.ts';
import type { PublicSystemResult } from '../domain/system-result.ts';

/**
 * The access report (R18): for every category, what the library holds, why, who it is shared
 * with and how long it is kept, all from the policy configuration, then the patron's own data.
 * It is one self-contained HTML file (inline CSS, no external resources) so it can be downloaded,
 * opened offline and printed.
 */
export interface AccessReportInput extends PatronRecords {
  library: { name: string; timezone: string };
  /** ISO date-time. */
  generatedAt: string;
  requestId: string;
  policy: Policy;
  patron: Patron;
  verification: { method: 'email-link' | 'in-person'; verifiedAt: string; verifiedByRole?: string };
  /**
   * Someone other than the patron receives the report: a guardian (R9, R10) or a third party with
   * the patron's written permission (R14). Only `categories` are in it, no other section at all;
   * the wording and the closing section say who receives it and on what basis. Absent: the patron's own report.
   */
  audience?: ReportAudience;
  /** R18, R19: what each system the request reached answered; absent in a report that predates systems. */
  systems?: SystemSummary[];
  /**
   * R16, R18, R19: the library's systems file, as the retention run reads it: each category's period
   * is stated system by system, saying how it is enforced there. Absent: the periods alone.
   */
  retentionSystems?: SystemsFile;
}

/**
 * R19: one system's answer, as a reader may see it: its name and what was found there, never a staff
 * member's words (a "could not" reason may name internal matters: the privacy officer reads it).
 */
export interface SystemSummary {
  id: string;
  name: string;
  manual: boolean;
  answer: PublicSystemResult;
  /** Records found per category (API systems). */
  counts?: Partial<Record<Category, number>>;
  /** The categories the systems file says this system holds (of those the request covers). */
  categories?: readonly Category[];
  /** The library's built-in records table: the library itself, not another service. */
  builtIn?: boolean;
  /** ISO date-time of the answer. */
  answeredAt?: string;
}

export interface ReportAudience {
  kind: 'guardian' | 'third-party';
  categories: readonly Category[];
  /** One sentence on the legal basis and how it was established (R2), shown at the end. */
  basis: string;
}

export const renderAccessReport = (input: AccessReportInput): string => {
  assertOwnRecords(input);
  const fmt = formatters(input.library.timezone);
  const { audience } = input;
  const title = audience
    ? `Library records of ${subjectName(audience, input)}`
    : `Your records at ${input.library.name}`;
  // CATEGORIES is the canonical order (the POLICY.md table); the policy schema guarantees each
  // one has an entry, so iterating it covers every category exactly once. Another audience gets
  // only its categories (R14: only those the patron permitted; R9/R10: those the policy allows).
  const shown = audience ? CATEGORIES.filter((c) => audience.categories.includes(c)) : CATEGORIES;
  const sections = shown.map((c) => categorySection(c, input.policy.categories[c], input, fmt));
  const where = input.systems ? systemsSection(input.systems, shown, input, fmt) : undefined;
  const toc = [
    ...(where ? [html`<li><a href="#systems">${whereTitle(input)}</a></li>`] : []),
    ...shown.map((c) => html`<li><a href="#${c}">${input.policy.categories[c].title}</a></li>`),
  ];

  return `<!doctype html>\n${html`<html lang="en">
<head>
${HEAD_META}
<title>${title}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
<h1>${title}</h1>
${
  audience
    ? audienceLede(audience, input)
    : html`<p class="lede">This report lists the information ${input.library.name} holds about
${input.patron.firstName} ${input.patron.lastName}. For each kind of information it says what the
library holds, why, who it is shared with and how long it is kept, and then shows your records.
Keep it somewhere safe: it contains your personal information.</p>`
}
<p class="meta">Prepared ${fmt.when(input.generatedAt)}, under ${policyVersionWords(input.policy)}.</p>
<nav aria-label="Contents"><h2 class="toc-title">Contents</h2><ol class="toc">${toc}</ol></nav>
${where ?? ''}
${sections}
${
  audience
    ? ''
    : html`<section aria-labelledby="court-orders-title"><h2 id="court-orders-title">Court orders</h2>
<p data-retention="court-order-documents">${courtOrderDocumentsStatement(input.policy)}</p></section>`
}
${
  audience
    ? html`<section aria-labelledby="basis"><h2 id="basis">Why you receive these records</h2>
<p>${audience.basis}</p></section>`
    : html`<section aria-labelledby="how-verified"><h2 id="how-verified">How we confirmed it was you</h2>
<p>${verificationLine(input.verification, fmt)}</p></section>`
}
</main>
<footer>
<p>Request reference: <span class="ref">${input.requestId}</span></p>
<p>Generated ${fmt.when(input.generatedAt)} by Privacy Desk for ${input.library.name}, under ${policyVersionWords(input.policy)}.</p>
</footer>
</body>
</html>
`}`;
};

/** The name is personal data (R14): another audience reads it only when `personal` is released to them. */
const subjectName = (audience: ReportAudience, input: AccessReportInput): string =>
  audience.categories.includes('personal') ? `${input.patron.firstName} ${input.patron.lastName}` : 'the card holder';

const audienceLede = (audience: ReportAudience, input: AccessReportInput): SafeHtml => {
  const who = subjectName(audience, input);
  const titles = audience.categories.map((c) => input.policy.categories[c].title).join(', ');
  return audience.kind === 'guardian'
    ? html`<p class="lede">This report lists the library records of ${who} that ${input.library.name}
releases to a parent or guardian linked to the card, under the library's policy: ${titles}. Nothing
else is included. The records are confidential: keep the report somewhere safe.</p>`
    : html`<p class="lede">This report holds only the records of ${who} that they gave written
permission to release to you: ${titles}. Nothing else is included. The records are confidential:
use them only for the purpose you stated, and keep the report somewhere safe.</p>`;
};

/**
 * The caller fetches the records; a record of another patron here would disclose someone else's
 * data (R1), so a mismatch stops the report rather than being filtered away silently.
 */
const assertOwnRecords = (input: AccessReportInput): void => {
  const lists = {
    loans: input.loans,
    holds: input.holds,
    fines: input.fines,
    programs: input.programs,
    donations: input.donations,
    sharedContent: input.sharedContent,
  };
  for (const [name, records] of Object.entries(lists)) {
    const stray = records.find((r) => r.patronId !== input.patron.id);
    // Ids only in the message (R5).
    if (stray) throw new IntegrityError(`${name} record ${stray.id} does not belong to the report's patron`);
  }
};

type Formatters = ReturnType<typeof formatters>;

const whereTitle = (input: AccessReportInput): string =>
  input.audience ? 'Where these records are' : 'Where your records are';

/** R18 "system by system" (R19): every system the request reached, and what it answered. */
const systemsSection = (
  systems: SystemSummary[],
  shown: readonly Category[],
  input: AccessReportInput,
  fmt: Formatters,
): SafeHtml =>
  html`<section id="systems" aria-labelledby="systems-title">
<h2 id="systems-title">${whereTitle(input)}</h2>
<p>${systemsLede(systems.length)}</p>
<dl class="fields">${systems.map((s) => html`<dt>${s.name}</dt><dd>${systemLine(s, shown, input, fmt)}</dd>`)}</dl>
</section>`;

const systemsLede = (n: number): string =>
  n === 0
    ? 'None of the library’s systems holds records of these kinds.'
    : n === 1
      ? 'The library keeps these records in one system, which was checked for this request.'
      : `The library keeps these records in ${n} systems. Each was checked for this request.`;

export function systemLine(
  s: SystemSummary,
  shown: readonly Category[],
  input: Pick<AccessReportInput, 'policy' | 'audience'>,
  fmt: { day: (iso: string) => string },
): string {
  const whom = input.audience ? 'the card holder' : 'you';
  switch (s.answer) {
    case 'not-held':
      return `Not held: this system has no record of ${whom}.`;
    case 'could-not':
      // The staff member's reason stays with the privacy officer (R19): it may name internal matters.
      return 'Library staff could not complete this here; the privacy officer is following it up.';
    case 'waiting':
      return 'Not answered yet.';
    case 'done': {
      if (s.manual) return `Checked by library staff${s.answeredAt ? ` on ${fmt.day(s.answeredAt)}` : ''}.`;
      const found = shown
        .filter((c) => (s.counts?.[c] ?? 0) > 0)
        .map((c) => `${input.policy.categories[c].title}: ${s.counts?.[c]} record${s.counts?.[c] === 1 ? '' : 's'}`);
      return found.length === 0 ? 'Checked: no records in these categories.' : `Found: ${found.join('; ')}.`;
    }
  }
}

const formatters = (timezone: string) => {
  const zone = isTimeZone(timezone) ? timezone : 'UTC';
  const dateTime = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  });
  const zonedDay = new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: 'long', day: 'numeric' });
  // A calendar date (a birthday, a donation day) has no time zone: shifting it would move it a day.
  const calendarDay = new Intl.DateTimeFormat('en-US', {
    timeZone: 'UTC',
    year: 'numeric',
    month: 'long',
    day: 'numeric',
  });
  // The dataset carries no currency; the library's fines and gifts are in dollars.
  const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

  const safely = (value: string, f: (d: Date) => string): string => {
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? value : f(d);
  };
  return {
    when: (iso: string): string => safely(iso, (d) => dateTime.format(d)),
    day: (iso: string): string =>
      /^\d{4}-\d{2}-\d{2}$/.test(iso)
        ? safely(`${iso}T00:00:00Z`, (d) => calendarDay.format(d))
        : safely(iso, (d) => zonedDay.format(d)),
    money: (n: number): string => money.format(n),
  };
};

const isTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

const categorySection = (category: Category, p: CategoryPolicy, input: AccessReportInput, fmt: Formatters): SafeHtml =>
  html`<section id="${category}" aria-labelledby="${category}-title">
<h2 id="${category}-title">${p.title}</h2>
<dl class="about">
<dt>What the library holds</dt><dd>${p.what}</dd>
<dt>Why</dt><dd>${p.why}</dd>
<dt>Who it is shared with</dt><dd>${sharingWords(category, p, input)}</dd>
<dt>How long it is kept</dt><dd>${retentionWords(category, input)}</dd>
</dl>
<h3>${input.audience ? 'Records' : 'Your information'}</h3>
${categoryData(category, p, input, fmt)}
</section>`;

/**
 * R18: who the category may go to: the policy's words, then, from the configuration, the parents or
 * guardians who may see it (R9, R10: the policy's ages and guardian categories) and the services
 * that hold it for the library (the systems file's systems, R19).
 */
export function sharingStatements(
  category: Category,
  p: CategoryPolicy,
  input: Pick<AccessReportInput, 'policy' | 'systems'>,
): string[] {
  const { minors } = input.policy;
  const out = [p.sharedWith];
  if (minors.guardianCategories.includes(category))
    out.push(
      `A parent or guardian linked to a child's card may see these records: for a child under ${minors.consentFromAge} on request, from ${minors.consentFromAge} to ${minors.adultAge - 1} only with the child's consent.`,
    );
  const services = (input.systems ?? [])
    .filter((s) => !s.builtIn && s.categories?.includes(category))
    .map((s) => s.name);
  if (services.length > 0)
    out.push(
      `The library keeps these records in ${services.join(', ')}, which ${services.length === 1 ? 'holds' : 'hold'} them for the library under its agreements, as part of your linked accounts and the library's services.`,
    );
  return out;
}

const sharingWords = (category: Category, p: CategoryPolicy, input: AccessReportInput): string =>
  sharingStatements(category, p, input).join(' ');

/**
 * R18: the periods the daily run enforces, printed from the same configuration it reads
 * (domain/retention.ts); each period names its record kind, so a test can hold the words to what the run does.
 */
const retentionWords = (
  category: Category,
  input: Pick<AccessReportInput, 'policy' | 'retentionSystems'>,
): SafeHtml | string => {
  const { policy } = input;
  const statements = retentionStatements(category, policy);
  // R16, R19: how each system that holds the category enforces its period (systemRetention, the run's own list).
  const bySystem = input.retentionSystems ? systemRetentionStatements(category, input.retentionSystems, policy) : [];
  if (statements.length === 1 && !statements[0]?.kind && bySystem.length === 0) return statements[0]?.text ?? '';
  return html`<ul class="retention">${statements.map((s) =>
    s.kind
      ? html`<li data-retention="${s.kind}">${s.text}</li>`
      : s.purge !== undefined
        ? html`<li data-retention-purge="${String(s.purge)}">${s.text}</li>`
        : html`<li>${s.text}</li>`,
  )}${bySystem.map(
    (s) => html`<li data-retention-system="${s.systemId}" data-retention-how="${s.how}">${s.text}</li>`,
  )}</ul>`;
};

/** The patron's data in one category; the policy's `view` decides what may be shown at all. */
const categoryData = (category: Category, p: CategoryPolicy, input: AccessReportInput, fmt: Formatters): SafeHtml => {
  // R4: no document is ever stored, so there is nothing to show but the fact.
  if (p.view === 'reviewed-not-retained') {
    return html`<p class="status">Reviewed, not retained. The library keeps no copy of any document you showed; nothing from it is stored.</p>`;
  }
  if (p.view === 'not-linked') {
    return html`<p class="status">Logs and analytics: stored without identity, not linked to you. The library cannot find any of it by your name or card.</p>
${linkedCookies(input.policy)}`;
  }
  const { patron } = input;
  switch (category) {
    case 'personal':
      return personal(patron, fmt);
    case 'credentials':
      return credentials(patron);
    case 'library-records':
      return libraryRecords(input, fmt);
    case 'payments':
      return payments(input.fines, fmt);
    case 'donations':
      return donations(input.donations, fmt);
    case 'shared-content':
      return sharedContent(input.sharedContent, fmt);
    case 'residency':
    case 'automatic':
      // Nothing of these is held against a patron, whatever the view setting.
      return NONE;
  }
};

/** R18: the cookies that are linked to the account, named as such (the policy's `linkedCookies`). */
const linkedCookies = (policy: Policy): SafeHtml | string =>
  policy.linkedCookies.length === 0
    ? ''
    : html`<p>Linked to your online account:</p><ul class="linked-cookies">${policy.linkedCookies.map(
        (c) => html`<li data-cookie="${c.name}">${c.name}: ${c.purpose}; kept ${c.kept}.</li>`,
      )}</ul>`;

const NONE = html`<p class="none">None</p>`;
const NOT_ON_FILE = 'Not on file';

const fields = (rows: [string, SafeHtml | string][]): SafeHtml =>
  html`<dl class="fields">${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;

const list = (items: string[]): SafeHtml | string =>
  items.length === 0
    ? 'None'
    : items.length === 1
      ? (items[0] ?? '')
      : html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>`;

const personal = (patron: Patron, fmt: Formatters): SafeHtml => {
  const a = patron.address;
  const address = a ? html`${a.street}<br>${a.city}, ${a.state} ${a.postalCode}` : NOT_ON_FILE;
  const rows: [string, SafeHtml | string][] = [
    ['Name', `${patron.firstName} ${patron.lastName}`],
    ['Library card number', patron.cardNumber],
    ['Date of birth', fmt.day(patron.dateOfBirth)],
    ['Email', patron.email ?? NOT_ON_FILE],
    ['Phone', patron.phone ?? NOT_ON_FILE],
    ['Address', address],
    // Only the card type and last four digits are ever held; nothing more is shown either.
    ['Payment methods', list(patron.paymentMethods.map((m) => `${m.type} ending in ${m.last4}`))],
    ['Linked accounts', list(patron.linkedAccounts.map((l) => `${l.service}: ${l.externalId}`))],
    // Guarantors are other patrons; naming them here would disclose their data, so only a count.
    ['Guardians linked to this card', patron.guarantorIds.length === 0 ? 'None' : String(patron.guarantorIds.length)],
  ];
  if (patron.enrolledOn) rows.push(['Card issued', fmt.day(patron.enrolledOn)]);
  if (patron.expiresOn) rows.push(['Card expires', fmt.day(patron.expiresOn)]);
  return fields(rows);
};

/** Username only: a password hash or a security answer is never shown, not even hashed. */
const credentials = (patron: Patron): SafeHtml => {
  if (!patron.username && !patron.passwordHash && patron.securityQuestions.length === 0) return NONE;
  const n = patron.securityQuestions.length;
  return fields([
    ['Username', patron.username ?? NOT_ON_FILE],
    ['Password', patron.passwordHash ? 'Set. It is stored only as a one-way hash and is never shown.' : 'Not set'],
    [
      'Security questions',
      n === 0 ? 'None' : `${n} security question${n === 1 ? '' : 's'} set; answers are never shown`,
    ],
  ]);
};

/** A headed table, or "None" when there are no rows; always under a heading so screen readers can jump to it. */
const table = (caption: string, head: string[], rows: (SafeHtml | string)[][]): SafeHtml =>
  rows.length === 0
    ? html`<h4>${caption}</h4>${NONE}`
    : html`<h4>${caption}</h4><table>
<thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
<tbody>${rows.map((r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>`)}</tbody>
</table>`;

// Newest first: the most recent activity is what a patron usually looks for.
const newestFirst = <T>(items: T[], at: (t: T) => string): T[] =>
  [...items].sort((a, b) => Date.parse(at(b)) - Date.parse(at(a)));

const HOLD_STATUS: Record<Hold['status'], string> = {
  waiting: 'Waiting',
  ready: 'Ready for pickup',
  fulfilled: 'Fulfilled',
  cancelled: 'Cancelled',
};

const libraryRecords = (input: AccessReportInput, fmt: Formatters): SafeHtml => {
  const loans = newestFirst(input.loans, (l) => l.checkedOutAt).map((l) => [
    l.title,
    l.itemId,
    l.branch ?? '—',
    fmt.when(l.checkedOutAt),
    fmt.when(l.dueAt),
    l.returnedAt ? fmt.when(l.returnedAt) : html`<strong>Still on loan</strong>`,
  ]);
  const holds = newestFirst(input.holds, (h) => h.placedAt).map((h) => [
    h.title,
    fmt.when(h.placedAt),
    HOLD_STATUS[h.status],
  ]);
  const programs = newestFirst(input.programs, (p) => p.date).map((p) => [
    p.title,
    fmt.day(p.date),
    p.attended ? 'Yes' : 'No',
  ]);
  return html`${table('Loans', ['Title', 'Item', 'Branch', 'Checked out', 'Due', 'Returned'], loans)}
${table('Holds', ['Title', 'Placed', 'Status'], holds)}
${table('Programs and events', ['Program', 'Date', 'Attended'], programs)}`;
};

const payments = (fines: Fine[], fmt: Formatters): SafeHtml => {
  const rows = newestFirst(fines, (f) => f.createdAt).map((f) => [
    f.reason,
    fmt.day(f.createdAt),
    fmt.money(f.amount),
    fmt.money(f.outstanding),
  ]);
  const outstanding = fines.reduce((sum, f) => sum + f.outstanding, 0);
  return html`${table('Fines and fees', ['Reason', 'Date', 'Amount', 'Outstanding'], rows)}
${fines.length > 0 ? html`<p>Total outstanding: <strong>${fmt.money(outstanding)}</strong></p>` : ''}`;
};

const donations = (items: Donation[], fmt: Formatters): SafeHtml =>
  table(
    'Donations',
    ['Date', 'Amount', 'Campaign'],
    newestFirst(items, (d) => d.date).map((d) => [fmt.day(d.date), fmt.money(d.amount), d.campaign ?? '—']),
  );

const SHARED_KIND: Record<SharedContent['kind'], string> = {
  review: 'Review',
  list: 'List',
  recommendation: 'Recommendation',
};

const sharedContent = (items: SharedContent[], fmt: Formatters): SafeHtml =>
  items.length === 0
    ? NONE
    : html`${newestFirst(items, (s) => s.createdAt).map(
        (s) => html`<article class="shared"><h4>${SHARED_KIND[s.kind]}: ${s.title}</h4>
<p class="meta">Published ${fmt.when(s.createdAt)}</p>
<p class="text">${s.text}</p></article>`,
      )}`;

/** R4: how the requester was verified, never a document. */
const verificationLine = (v: AccessReportInput['verification'], fmt: Formatters): string => {
  const when = fmt.when(v.verifiedAt);
  if (v.method === 'email-link') return `By a link sent to the email address on file for this card, used ${when}.`;
  const by = v.verifiedByRole ? ` by library staff (${v.verifiedByRole.replace(/-/g, ' ')})` : ' by library staff';
  return `In person${by}, ${when}. No copy of any identity document was kept.`;
};

// Inline so the file stands alone; print rules keep rows and sections readable on paper.
// A constant of ours, marked safe because escaping would break CSS quoting inside <style>.
const REPORT_CSS = new SafeHtml(`
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111; background: #fff; }
main, footer { max-width: 60rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.75rem; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.35rem; margin: 2rem 0 0.5rem; padding-top: 0.75rem; border-top: 2px solid #111; }
h3 { font-size: 1.1rem; margin: 1rem 0 0.5rem; }
h4 { font-size: 1rem; margin: 1rem 0 0.25rem; }
.lede { max-width: 45rem; }
.meta { color: #333; font-size: 0.95rem; }
.toc-title { border: 0; padding: 0; margin-top: 1rem; font-size: 1.1rem; }
.toc { columns: 2 16rem; padding-left: 1.5rem; }
dl.about { display: grid; grid-template-columns: minmax(8rem, 14rem) 1fr; gap: 0.25rem 1rem; margin: 0; padding: 0.75rem; background: #f3f4f6; border-left: 4px solid #1d4ed8; }
dl.about dt, dl.fields dt { font-weight: 600; }
dl.about dd, dl.fields dd { margin: 0; }
dl.fields { display: grid; grid-template-columns: minmax(8rem, 14rem) 1fr; gap: 0.25rem 1rem; }
dl.fields ul { margin: 0; padding-left: 1.2rem; }
table { width: 100%; border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.95rem; }
th, td { text-align: left; vertical-align: top; padding: 0.35rem 0.5rem; border: 1px solid #999; }
th { background: #e5e7eb; }
.none { font-style: italic; }
.status { font-weight: 600; }
.shared { border: 1px solid #999; padding: 0.5rem 0.75rem; margin: 0.5rem 0; }
.shared .text { white-space: pre-wrap; overflow-wrap: anywhere; }
.ref { font-family: ui-monospace, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
footer { border-top: 1px solid #999; font-size: 0.9rem; color: #333; }
a { color: #1d4ed8; }
@media (max-width: 36rem) {
  dl.about, dl.fields { grid-template-columns: 1fr; }
  dl.about dd, dl.fields dd { margin-bottom: 0.5rem; }
  table { display: block; overflow-x: auto; }
}
@media print {
  body { font-size: 11pt; }
  nav { display: none; }
  h2 { break-after: avoid; }
  tr, .shared, dl { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
`);
