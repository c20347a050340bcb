import type { DeletionReport, SystemLine } from '../domain/deletion-outcome.ts';
import { policyVersionWords, type Policy } from '../domain/policy.ts';
import { POINT_IN_TIME_RECOVERY_DAYS } from '../domain/retention.ts';
import { html } from '../lib/html.ts';
import { wrap, type Message } from './email-frame.ts';

/**
 * R8, R19, R20: the deletion letters, system by system, built only from a `DeletionReport`
 * (assembled from the stored per-system results), so every sentence follows from what the code
 * did. R13a: a hold reads as a system's own refusal does; nothing names an order.
 */

export const CATEGORY_WORDS: Record<string, string> = {
  personal: 'your personal details (name, address, contact details, card)',
  credentials: 'your online login',
  'library-records': 'your loans, reservations and program records',
  payments: 'your fines and payments',
  donations: 'your donations',
  'shared-content': 'your public reviews and lists',
};

export const REASON_WORDS: Record<string, string> = {
  'items-on-loan': 'you still have items on loan',
  'money-outstanding': 'money is still owed on your account',
  'guarantor-of-minor': "you are the guarantor of a child's library card",
  'retention-period': 'the library must keep financial records for its accounting period',
  'not-yet-possible': 'the system that keeps it could not remove it yet; the library will follow up',
  'pending-cleanup':
    'it is removed from daily use; the system keeps a copy until its regular cleanup job runs, and then it is purged',
  'in-progress': 'the library is still working on it',
  'system-unavailable': 'the system that holds it did not answer; the library tries again every day',
  'could-not': 'staff could not remove it there; the privacy officer is following it up',
};

/** The one sentence a letter says about outreach (R20): only when every outreach system stopped it. */
export const OUTREACH_STOPPED = 'Outreach, marketing and fundraising contact to you has stopped.';

/**
 * R8, R18: removed data is not gone from backups at once. The tables' point-in-time recovery keeps
 * them for this many days (the same constant the stack configures, infra/constructs/storage.ts).
 */
export const BACKUPS_SENTENCE = `The library's databases keep backups for recovery from a failure for ${POINT_IN_TIME_RECOVERY_DAYS} days: what was removed stays in those backups until they roll over, ${POINT_IN_TIME_RECOVERY_DAYS} days after the removal, and is then gone. Backups are used only to restore the system after a failure.`;

/** R8, R16: what is kept for a period is kept per record, each until its own period ends. */
const keptUntil = (reason: string, until: string | undefined): string =>
  until === undefined
    ? ''
    : reason === 'retention-period'
      ? ` (each record until its own period ends; the last on ${until})`
      : ` (until ${until})`;

const words = (c: string) => CATEGORY_WORDS[c] ?? c;
const because = (r: string) => REASON_WORDS[r] ?? r;

/** What one system's line says; the tests read these back against the stored results. */
export function systemSentence(s: SystemLine): string {
  switch (s.result) {
    case 'done':
      return s.pendingCleanup
        ? `${s.name}: done. Your record is removed from daily use; ${s.name} keeps a copy until its regular cleanup job runs, and then it is purged.`
        : `${s.name}: done.`;
    case 'not-held':
      return `${s.name}: held nothing about you.`;
    case 'could-not':
      return `${s.name}: could not be done; the privacy officer is following it up.`;
    case 'waiting':
      return `${s.name}: waiting, because ${s.reasons.map(because).join('; and ')}. It will finish by itself when that is settled: the library checks every day.`;
  }
}

/** R18: the letter names the policy it was written under. */
type LetterPolicy = Pick<Policy, 'version'>;

function body(report: DeletionReport, opening: string, policy: LetterPolicy) {
  const o = report.outcome;
  const removed = o.erased.map(words);
  const unlinked = o.anonymised.map(words);
  const kept = o.retained.map(
    (r) => `${words(r.category)}: kept because ${because(r.reason)}${keptUntil(r.reason, r.until)}`,
  );
  const systems = report.systems.map(systemSentence);
  const list = (items: string[]) => (items.length ? items.map((i) => `- ${i}`).join('\n') : '- nothing');
  const items = (xs: string[]) => (xs.length ? xs.map((x) => html`<li>${x}</li>`) : html`<li>nothing</li>`);
  const outreach = report.outreachStopped ? `\n\n${OUTREACH_STOPPED}` : '';
  const under = `This letter was written under ${policyVersionWords(policy)}.`;
  const text = `${opening}\n\nRemoved:\n${list(removed)}\n\nNo longer linked to you (kept only as anonymous statistics):\n${list(unlinked)}\n\nKept, and why:\n${list(kept)}\n\nSystem by system:\n${list(systems)}${outreach}\n\n${BACKUPS_SENTENCE}\n\nIf you have questions, please contact the library.\n\n${under}`;
  const markup = html`<p>${opening}</p>
<h2>Removed</h2><ul>${items(removed)}</ul>
<h2>No longer linked to you</h2><p>Kept only as anonymous statistics.</p><ul>${items(unlinked)}</ul>
<h2>Kept, and why</h2><ul>${items(kept)}</ul>
<h2>System by system</h2><ul>${items(systems)}</ul>
${report.outreachStopped ? html`<p>${OUTREACH_STOPPED}</p>` : ''}<p>${BACKUPS_SENTENCE}</p>
<p>If you have questions, please contact the library.</p>
<p>${under}</p>`;
  return { text, markup };
}

/** R8: sent once, when every system has answered first and some must wait. */
export function deletionWaitingEmail(o: { library: string; report: DeletionReport; policy: LetterPolicy }): Message {
  const { text, markup } = body(
    o.report,
    'We have started deleting your data. Part of it has to wait: below is what is done and what waits, and why. We will write again when it is finished.',
    o.policy,
  );
  return { subject: `Your deletion request to ${o.library} is waiting`, text, html: wrap(o.library, markup) };
}

/** R8: the last letter, when every system has answered. */
export function deletionOutcomeEmail(o: { library: string; report: DeletionReport; policy: LetterPolicy }): Message {
  const { text, markup } = body(o.report, 'We have acted on your request to delete your data.', o.policy);
  return { subject: `Your deletion request to ${o.library} is complete`, text, html: wrap(o.library, markup) };
}
