import { randomBytes } from 'node:crypto';
import type { Email } from '../domain/email.ts';
import { HAND_OVER_ROLE } from '../domain/desk-checks.ts';
import { IntegrityError } from '../domain/errors.ts';
import type { Deps } from '../lib/deps.ts';
import { readableMoment } from '../render/readable-time.ts';
import { issueDownloadLink, type DownloadFile } from './download-link.ts';
import { retryTransient } from '../adapters/retry-transient.ts';
import { sendOnce, type SendKey } from './send-once.ts';
import type { TaskLink } from './staff-tasks.ts';

type Message = Omit<Email, 'to'>;

/** The library as an email names it and tells its times. */
export interface LibraryPlace {
  name: string;
  timezone: string;
}

/** Whom a file or a notice reached: the person's own email on file, or staff who hand it over. */
export type DeliveryChannel = 'email' | 'in-person';

/** The person a file is for: their id for the link's token, and the email on their record, if any. */
export interface Addressee {
  id: string;
  email?: string | undefined;
}

/** A rendered report, stored under a key that names no person (request id plus randomness); answers the key. */
export async function storeReport(deps: Pick<Deps, 'files'>, requestId: string, report: string): Promise<string> {
  const fileKey = `reports/${requestId}/${randomBytes(8).toString('hex')}.html`;
  // The same bytes under the same key: safe to put again (Faults).
  await retryTransient(() => deps.files.put(fileKey, report, 'text/html; charset=utf-8'));
  return fileKey;
}

/**
 * R8a: emails one expiring download link for a stored file to `to`, the expiry as the library's
 * readers tell time. Answers the expiry itself (ISO) for the audit trail.
 */
export async function emailDownloadLink(
  deps: Pick<Deps, 'tokens' | 'policy' | 'baseUrl' | 'mailer' | 'sentEmails'>,
  o: { library: LibraryPlace; to: string[]; file: DownloadFile; email: (link: TaskLink) => Message },
): Promise<{ expiresAt: string }> {
  const { link, expiresAt } = await issueDownloadLink(deps, o.file);
  const readable = readableMoment(expiresAt, o.library.timezone);
  // Faults: a retried step's new link stays unsent; the first email's link works until it expires.
  await sendOnce(
    deps,
    { requestId: o.file.requestId, purpose: `download:${o.file.step}` },
    { to: o.to, ...o.email({ library: o.library.name, link, expiresAt: readable }) },
  );
  return { expiresAt };
}

/**
 * The one "deliver the file to the person, or to the desk" step of the report and export
 * workflows. R7: the link goes to the email on the person's record, never to a typed address. A
 * person with none gets the file in person (R1, R17): each circulation staff member gets their own
 * link (single-use, expiring, hashed at rest; one person's download leaves the others' links
 * alone), and the request waits for a staff member to record the hand-over, which completes it
 * and revokes the links not used (hand-over.ts). `what` names the file in the error when nobody
 * can take it; the error names no person (R5).
 */
export async function deliverToPersonOrDesk(
  deps: Pick<Deps, 'tokens' | 'policy' | 'baseUrl' | 'mailer' | 'records' | 'sentEmails' | 'requests'>,
  o: {
    library: LibraryPlace;
    person: Addressee;
    file: Omit<DownloadFile, 'recipient'>;
    what: string;
    toPerson: (link: TaskLink) => Message;
    toDesk: (link: TaskLink & { requestId: string }) => Message;
  },
): Promise<DeliveryChannel> {
  const requestId = o.file.requestId;
  if (o.person.email) {
    await emailDownloadLink(deps, {
      library: o.library,
      to: [o.person.email],
      file: { ...o.file, recipient: { kind: 'patron', id: o.person.id } },
      email: o.toPerson,
    });
    return 'email';
  }
  const staff = await deps.records.staffWithRole('circulation');
  if (staff.length === 0) throw new IntegrityError(`nobody to deliver the ${o.what} to`);
  // R1: marked before any link goes out, so the request never completes on a download alone.
  await deps.requests.update(requestId, (r) => (r.handOver ? undefined : { ...r, handOver: { status: 'waiting' } }));
  for (const member of staff)
    await emailDownloadLink(deps, {
      library: o.library,
      to: [member.email],
      file: { ...o.file, recipient: { kind: 'staff', id: member.email, role: HAND_OVER_ROLE } },
      email: (link) => o.toDesk({ ...link, requestId }),
    });
  return 'in-person';
}

/**
 * A notice that something happened (no link, no file): to the email on the person's record, or,
 * for a person with none, to the privacy officers, who tell them by letter or at the desk.
 */
export async function noticeToPersonOrOfficer(
  deps: Pick<Deps, 'mailer' | 'records' | 'sentEmails'>,
  o: { once: SendKey; email: string | undefined; toPerson: () => Message; toOfficers: () => Message },
): Promise<'email' | 'staff-asked'> {
  if (o.email) {
    await sendOnce(deps, o.once, { to: [o.email], ...o.toPerson() });
    return 'email';
  }
  const officers = await deps.records.staffWithRole('privacy-officer');
  if (officers.length === 0) throw new IntegrityError('nobody to ask to tell the patron');
  await sendOnce(deps, o.once, { to: officers.map((s) => s.email), ...o.toOfficers() });
  return 'staff-asked';
}

/**
 * Tells every privacy officer at once (R19: a system that did not answer or could not act; a failed
 * request): one email, rendered for the library. Answers how many were told (none on file: none).
 */
export async function tellPrivacyOfficers(
  deps: Pick<Deps, 'mailer' | 'records' | 'sentEmails'>,
  once: SendKey,
  message: (library: string) => Message,
): Promise<number> {
  const officers = await deps.records.staffWithRole('privacy-officer');
  if (officers.length === 0) return 0;
  const library = await deps.records.library();
  await sendOnce(deps, once, { to: officers.map((o) => o.email), ...message(library.name) });
  return officers.length;
}
