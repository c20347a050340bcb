import * as z from '../domain/zod.ts';
import { isTerminal } from '../domain/request.ts';
import { admitRequest, quietCloseEvent } from '../app/admit-request.ts';
import { findPatron } from '../app/find-patron.ts';
import { ownAddressee } from '../app/own-channel.ts';
import type { Patron } from '../domain/dataset.ts';
import { matchDonor } from '../app/outreach/match-donor.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';

const input = z.lazy(() => z.strictObject({ requestId: z.uuid() }));

export interface MatchResult {
  matched: boolean;
  channel: 'email' | 'in-person' | 'none';
}

/**
 * Finds the patron the submitted card and last name name, by index (never a scan). The typed
 * identity is erased from the request once read, and only ids go back to the workflow (R5).
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'match-patron', input, async ({ requestId }): Promise<MatchResult> => {
    const request = await deps.requests.get(requestId);
    // R20: a donor without a card gave an email, not a card.
    if (request.kind === 'outreach-opt-out' && (request.submittedEmail !== undefined || request.donorId !== undefined))
      return matchDonor(deps, request);
    if (request.matched !== undefined) {
      // A retry after the write below: answer the same again.
      const patron = request.patronId ? await deps.people.getPatron(request.patronId) : undefined;
      return { matched: request.matched, channel: !patron ? 'none' : await channelOf(deps, patron) };
    }
    const found = await findPatron(deps, request.submitted);
    // R7: a repeat, or a request past the day's cap, is closed quietly: from outside, an unmatched one.
    const admission = found ? await admitRequest(deps, request, { patronId: found.id }) : undefined;
    const patron = admission?.admitted ? found : undefined;
    const verifyBy = new Date(deps.clock().getTime() + deps.policy.verification.linkTtlHours * 3_600_000).toISOString();

    if (!patron) await deps.requests.queueUnmatched(requestId, verifyBy); // R14 R16: closed when a lapsed link would close it
    await deps.requests.update(requestId, (r) => {
      const { submitted: _erased, ...rest } = r;
      return {
        ...rest,
        matched: patron !== undefined,
        verifyBy,
        status: isTerminal(r.status) ? r.status : 'verifying',
        ...(patron ? { patronId: patron.id } : {}),
      };
    });
    await deps.audit.append(
      requestId,
      found && admission && !admission.admitted
        ? quietCloseEvent(admission, found.id)
        : {
            eventId: 'matched',
            type: patron ? 'patron-matched' : 'no-match',
            actor: { kind: 'system' },
            ...(patron ? { data: { patronId: patron.id } } : {}),
          },
    );
    if (!patron) return { matched: false, channel: 'none' };
    return { matched: true, channel: await channelOf(deps, patron) };
  });

/** R7: verified through the patron's own email; none, or one a guarantor of the card shares, means in person. */
const channelOf = async (deps: Deps, patron: Patron): Promise<'email' | 'in-person'> =>
  (await ownAddressee(deps, patron)).email ? 'email' : 'in-person';

export const handler = lambdaEntry(createHandler);
