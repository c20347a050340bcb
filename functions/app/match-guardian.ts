import { guardianAgeBand } from '../domain/minors.ts';
import { isTerminal, type AgeBand, type GuardianLink, type RequestOf } from '../domain/request.ts';
import type { Deps } from '../lib/deps.ts';
import { admitRequest, quietCloseEvent } from './admit-request.ts';
import { findPatron } from './find-patron.ts';

export interface GuardianMatch {
  /** The guardian's card and name match a patron; if not, the request ends quietly like any unmatched one. */
  matched: boolean;
  /** How the guardian is verified: their own email on file, or in person (R7, R4). */
  channel: 'email' | 'in-person' | 'none';
  link: GuardianLink | 'none';
  /** The child's band on the day of the request; `none` unless linked. */
  band: AgeBand | 'none';
}

const UNMATCHED: GuardianMatch = { matched: false, channel: 'none', link: 'none', band: 'none' };

/**
 * guardian-access: matches the guardian (card and last name) and the child they name, decides
 * whether the guardian is linked to the child's card (R11) and the child's age band on the day
 * the request was made, in the library's time zone, from the date of birth on file, with the
 * policy's thresholds (R9, R10, R11). Nothing is told to anyone here: the workflow first verifies
 * the guardian through their own email on file. The typed identities are erased once read, and
 * only enums are answered (R5).
 */
export async function matchGuardian(deps: Deps, requestId: string): Promise<GuardianMatch> {
  const request = await deps.requests.getOf(requestId, 'guardian-access');
  if (request.matched !== undefined) return await answerAgain(deps, request);

  const found = await findPatron(deps, request.submitted);
  const child = found ? await findPatron(deps, request.submittedChild) : undefined;
  // R7: a repeat for the same child, or past the day's cap, closes quietly like an unmatched guardian.
  const admission = found
    ? await admitRequest(deps, request, { requesterPatronId: found.id, patronId: child?.id })
    : undefined;
  const guardian = admission?.admitted ? found : undefined;
  const link: GuardianLink | undefined = !guardian
    ? undefined
    : !child
      ? 'unknown-child'
      : child.guarantorIds.includes(guardian.id)
        ? 'linked'
        : 'unlinked';
  let band: AgeBand | undefined;
  if (link === 'linked' && child) {
    const library = await deps.records.library();
    // R11: on the day the request was made, not the day this step runs.
    band = guardianAgeBand(child.dateOfBirth, new Date(request.createdAt), library.timezone, deps.policy.minors);
  }
  const verifyBy = new Date(deps.clock().getTime() + deps.policy.verification.linkTtlHours * 3_600_000).toISOString();

  if (!guardian) await deps.requests.queueUnmatched(requestId, verifyBy); // R14 R16: closed when a lapsed link would close it
  await deps.requests.updateOf(requestId, 'guardian-access', (r) => {
    const { submitted: _guardian, submittedChild: _child, ...rest } = r;
    return {
      ...rest,
      matched: guardian !== undefined,
      verifyBy,
      status: isTerminal(r.status) ? r.status : 'verifying',
      ...(guardian ? { requesterPatronId: guardian.id } : {}),
      ...(guardian && child ? { patronId: child.id } : {}),
      ...(link ? { guardianLink: link } : {}),
      ...(band ? { ageBand: band } : {}),
    };
  });
  if (found && admission && !admission.admitted)
    await deps.audit.append(requestId, quietCloseEvent(admission, found.id));
  else
    await deps.audit.append(requestId, {
      eventId: 'matched',
      type: guardian ? 'guardian-matched' : 'no-match',
      actor: { kind: 'system' },
      ...(guardian
        ? {
            data: {
              requesterPatronId: guardian.id,
              ...(child ? { patronId: child.id } : {}),
              link: link ?? 'none',
              band: band ?? 'none',
            },
          }
        : {}),
    });
  if (!guardian) return { ...UNMATCHED };
  return {
    matched: true,
    channel: guardian.email ? 'email' : 'in-person',
    link: link ?? 'none',
    band: band ?? 'none',
  };
}

/** A retry after the write: the same answer from what was stored. */
async function answerAgain(deps: Deps, r: RequestOf<'guardian-access'>): Promise<GuardianMatch> {
  const guardian = r.requesterPatronId ? await deps.people.getPatron(r.requesterPatronId) : undefined;
  if (!r.matched || !guardian) return { ...UNMATCHED };
  return {
    matched: true,
    channel: guardian.email ? 'email' : 'in-person',
    link: r.guardianLink ?? 'none',
    band: r.ageBand ?? 'none',
  };
}
