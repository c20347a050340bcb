import type { StaffRetentionItem } from '../domain/retention.ts';
import { html } from '../lib/html.ts';
import { wrap, type Message } from './email-frame.ts';

/**
 * R16, R19: the periodic retention task of a system Privacy Desk cannot reach: which system, and per
 * kind of record what to anonymise or delete (older than a day). It names no person (R5, R1).
 */

const KIND_WORDS: Record<StaffRetentionItem['kind'], string> = {
  LOAN: 'returned loans (loan history)',
  HOLD: 'filled or cancelled holds',
  PROGRAM: 'program and event sign-ups',
  FINE: 'paid fines and fees',
  DONATION: 'gifts (donation records)',
};

export interface RetentionTaskMail {
  library: string;
  system: string;
  items: readonly StaffRetentionItem[];
  /** The days between two tasks (`retention.staffTaskEveryDays`). */
  everyDays: number;
  /** The library day the task is for. */
  today: string;
  /** Patrons whose card expired before this day are to be deleted too (R16 purge); absent: none. */
  purgeExpiredBefore?: string;
}

export const retentionTaskLines = (o: Pick<RetentionTaskMail, 'system' | 'items' | 'purgeExpiredBefore'>): string[] => [
  ...o.items.map((i) => `Anonymise or delete ${KIND_WORDS[i.kind]} dated before ${i.before} in ${o.system}.`),
  ...(o.purgeExpiredBefore
    ? [`Delete the accounts of patrons whose library card expired before ${o.purgeExpiredBefore} in ${o.system}.`]
    : []),
];

export function retentionTaskEmail(o: RetentionTaskMail): Message {
  const lines = retentionTaskLines(o);
  const lead = `The library's retention periods apply in "${o.system}" too, where Privacy Desk cannot anonymise records by itself. This task comes once every ${o.everyDays} days (this one for ${o.today}).`;
  const close =
    'Records of a patron under a legal hold are to be kept: ask the privacy officer if unsure. Tell the privacy officer if any of this could not be done.';
  return {
    subject: `Retention task in ${o.system}`,
    text: `${lead}\n\n${lines.map((l) => `- ${l}`).join('\n')}\n\n${close}`,
    html: wrap(o.library, html`<p>${lead}</p><ul>${lines.map((l) => html`<li>${l}</li>`)}</ul><p>${close}</p>`),
  };
}
