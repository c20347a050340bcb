import { isoDateIn } from '../domain/age.ts';
import { noticeAllowed, type CourtOrder } from '../domain/court-order.ts';
import { IntegrityError } from '../domain/errors.ts';
import { isTerminal } from '../domain/request.ts';
import { storedFields } from '../domain/tombstone.ts';
import type { Deps } from '../lib/deps.ts';
import { noticeByOtherMeansEmail, patronDisclosureNoticeEmail } from '../render/court-order-emails.ts';
import { sendOnce } from './send-once.ts';

type NoticeDeps = Pick<
  Deps,
  'requests' | 'orders' | 'audit' | 'people' | 'records' | 'policy' | 'mailer' | 'sentEmails' | 'clock' | 'logger'
>;

/** Why the patron is told now: at the disclosure itself, or once the order's nondisclosure period ended. */
export type NoticeOccasion = 'disclosure' | 'nondisclosure-ended';

/**
 * R13a: tells the patron of a court-order disclosure, once: the same notice whether the order always
 * allowed it or its nondisclosure period has just ended (what was disclosed, categories and dates, under
 * which order; nothing more). At the email on file; a patron with none is told by the privacy officers,
 * by letter or at the desk. The audit event and keyed sends make a retry, or the sweep and the workflow
 * at once, tell them once. Never before `noticeAllowed`: the caller's view of the order is not trusted.
 */
export async function tellPatronOfDisclosure(
  deps: NoticeDeps,
  requestId: string,
  order: CourtOrder,
  occasion: NoticeOccasion,
): Promise<{ notified: boolean }> {
  if (!noticeAllowed(order, deps.clock())) return { notified: false };
  const events = await deps.audit.list(requestId);
  if (events.some((e) => e.eventId === 'patron-notified')) return { notified: true };
  const delivered = events.find((e) => e.eventId === 'disclosure-delivered');
  if (!delivered) throw new IntegrityError('nothing was disclosed yet');

  const patron = await deps.people.getPatron(order.patronId);
  const library = await deps.records.library();
  const disclosedOn = isoDateIn(new Date(delivered.at), library.timezone);
  let channel: 'email' | 'staff-asked';
  if (patron?.email) {
    const words = order.categories.map((c) => deps.policy.categories[c].title);
    await sendOnce(
      deps,
      { requestId, purpose: 'patron-disclosure-notice' },
      {
        to: [patron.email],
        ...patronDisclosureNoticeEmail({ library: library.name, order, categories: words, disclosedOn }),
      },
    );
    channel = 'email';
  } else {
    const officers = await deps.records.staffWithRole('privacy-officer');
    if (officers.length === 0) throw new IntegrityError('nobody to ask to tell the patron');
    await sendOnce(
      deps,
      { requestId, purpose: 'patron-notice-by-other-means' },
      { to: officers.map((o) => o.email), ...noticeByOtherMeansEmail({ library: library.name, requestId }) },
    );
    channel = 'staff-asked';
  }
  // R17: how and why the patron was told; ids and enums only (R5).
  await deps.audit.append(requestId, {
    eventId: 'patron-notified',
    type: 'patron-notified',
    actor: { kind: 'system' },
    data: { channel, ...(occasion === 'nondisclosure-ended' ? { after: 'nondisclosure-ended' } : {}) },
  });
  return { notified: true };
}

/**
 * R13a, scheduled: each order whose nondisclosure period has ended (the notice index, by the instant it
 * ended; never a scan). A disclosure already made is told to the patron now; an order closed without
 * one owes no notice; one still being decided is left for the next run (its workflow tells the patron at
 * disclosure, the period having ended). Settled orders leave the index.
 */
export async function sendDueDisclosureNotices(deps: NoticeDeps): Promise<{ notified: number }> {
  let notified = 0;
  let firstFailure: unknown;
  for (const order of await deps.orders.noticesDue()) {
    // One order that fails (no privacy officer to ask, SES refusing) does not hold back the others; the
    // run still fails at the end, so the function's error alarm fires and the next run tries it again.
    try {
      if (await settleNotice(deps, order)) notified++;
    } catch (e) {
      deps.logger.warn('disclosure notice not settled', { orderId: order.orderId, errorName: nameOf(e) });
      firstFailure ??= e;
    }
  }
  if (firstFailure !== undefined) throw firstFailure;
  return { notified };
}

const nameOf = (e: unknown): string => (e instanceof Error ? e.name : typeof e);

/** One order of the notice index: whether the patron was told now. */
async function settleNotice(deps: NoticeDeps, order: CourtOrder): Promise<boolean> {
  let notified = false;
  const stored = order.requestId ? await deps.requests.findStored(order.requestId) : undefined;
  if (order.requestId && stored) {
    const events = await deps.audit.list(order.requestId);
    const told = events.some((e) => e.eventId === 'patron-notified');
    const disclosed = events.some((e) => e.eventId === 'disclosure-delivered');
    if (!told && disclosed) {
      await tellPatronOfDisclosure(deps, order.requestId, order, 'nondisclosure-ended');
      notified = true;
    } else if (!told && !isTerminal(storedFields(stored).status)) {
      return false; // still before its disclosure: the workflow tells the patron then
    }
  }
  await deps.orders.update(order.orderId, (o) =>
    o.noticeSettledAt ? undefined : { ...o, noticeSettledAt: deps.clock().toISOString() },
  );
  return notified;
}
