import * as z from '../domain/zod.ts';
import { IntegrityError } from '../domain/errors.ts';
import { isoDateIn } from '../domain/age.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { noticeByOtherMeansEmail, patronDisclosureNoticeEmail } from '../render/court-order-emails.ts';

const input = z.strictObject({ requestId: z.uuid() });

/**
 * R13a: the patron is told of the disclosure, at the email on file; staff are asked to tell a
 * patron who has none. Runs only when the order allows notice, and checks the order again itself:
 * a nondisclosure order never reaches the patron's mailbox whatever the workflow says.
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'notify-court-disclosure', input, async ({ requestId }) => {
    const request = await deps.requests.get(requestId);
    if (request.kind !== 'court-order' || !request.orderId) throw new IntegrityError('not a court order');
    const order = await deps.orders.get(request.orderId);
    if (order.nondisclosure) return { notified: false };
    const events = await deps.audit.list(requestId);
    if (events.some((e) => e.eventId === 'patron-notified')) return { notified: true };
    if (!events.some((e) => e.eventId === 'disclosure-delivered'))
      throw new IntegrityError('nothing was disclosed yet');

    const patron = await deps.people.getPatron(order.patronId);
    const library = await deps.records.library();
    const delivered = events.find((e) => e.eventId === 'disclosure-delivered');
    const disclosedOn = isoDateIn(new Date(delivered?.at ?? deps.clock().toISOString()), library.timezone);
    let channel: 'email' | 'staff-asked';
    if (patron?.email) {
      const words = order.categories.map((c) => deps.policy.categories[c].title);
      await deps.mailer.send({
        to: [patron.email],
        ...patronDisclosureNoticeEmail({ library: library.name, order, categories: words, disclosedOn }),
      });
      channel = 'email';
    } else {
      const officers = await deps.records.staffWithRole('privacy-officer');
      if (officers.length === 0) throw new IntegrityError('nobody to ask to tell the patron');
      await deps.mailer.send({
        to: officers.map((o) => o.email),
        ...noticeByOtherMeansEmail({ library: library.name, requestId }),
      });
      channel = 'staff-asked';
    }
    await deps.audit.append(requestId, {
      eventId: 'patron-notified',
      type: 'patron-notified',
      actor: { kind: 'system' },
      data: { channel },
    });
    return { notified: true };
  });

export const handler = lambdaEntry(createHandler);
