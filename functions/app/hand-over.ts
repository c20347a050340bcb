import * as z from '../domain/zod.ts';
import { ConflictError } from '../domain/errors.ts';
import { DOCUMENT_KINDS } from '../domain/identity-documents.ts';
import type { Principal } from '../lib/auth.ts';
import type { Deps } from '../lib/deps.ts';
import { closeRequest } from './close-request.ts';
import { requireAction } from './staff-permissions.ts';
import { readableRequest, staffActor } from './staff-read.ts';

/** R4: the kind of ID the staff member saw when handing the file over; never the document. */
export const handOverSchema = z.lazy(() =>
  z.strictObject({
    documentKind: z.enum(Object.keys(DOCUMENT_KINDS) as [string, ...string[]], 'choose the ID you saw'),
  }),
);

/** R1, R17: the hand-over refused; `status` and the words are what the staff member reads. */
export class HandOverRefusedError extends Error {
  override name = 'HandOverRefusedError';
  constructor(
    readonly status: 409,
    readonly title: string,
    readonly detail: string,
  ) {
    super(title);
  }
}

/**
 * R1, R17: a staff member, signed in, records that they handed the printed file to the patron in
 * person, and which kind of ID they saw (R4). The request completes now, not when the file was
 * downloaded; every other staff member's link to the file is revoked; the trail says who (email
 * and `sub`), when and the document kind, nothing of the patron (R5).
 */
export async function recordHandOver(
  deps: Deps,
  who: Principal,
  requestId: string,
  input: z.infer<typeof handOverSchema>,
) {
  const request = await readableRequest(deps, who, requestId);
  await requireAction(deps, who, 'hand-over', requestId);
  if (!('handOver' in request) || request.handOver?.status !== 'waiting')
    throw new HandOverRefusedError(
      409,
      'Nothing to hand over',
      'This request has no printed file waiting for the patron.',
    );
  const downloaded = (await deps.tokens.listOfRequest(requestId)).some(
    (t) => t.purpose === 'download' && t.recipient.kind === 'staff' && t.usedAt !== undefined,
  );
  if (!downloaded)
    throw new HandOverRefusedError(
      409,
      'Not downloaded yet',
      'Download and print the file from your emailed link first, then record the hand-over.',
    );
  const at = deps.clock().toISOString();
  try {
    await deps.requests.update(requestId, (r) => {
      if (r.handOver?.status !== 'waiting') throw new ConflictError('already handed over');
      return {
        ...r,
        handOver: { status: 'done', bySub: who.sub, byStaffId: who.email, documentKind: input.documentKind, at },
      };
    });
  } catch (e) {
    if (e instanceof ConflictError)
      throw new HandOverRefusedError(409, 'Already handed over', 'Another staff member recorded the hand-over first.');
    throw e;
  }
  await deps.audit.append(requestId, {
    eventId: 'handed-over',
    type: 'handed-over',
    actor: staffActor(who),
    data: { channel: 'in-person', documentKind: input.documentKind, sub: who.sub },
  });
  const revoked = await deps.tokens.revokeDownloads(requestId);
  const status = await closeRequest(deps, requestId, 'completed');
  return { requestId, status, handedOverAt: at, linksRevoked: revoked };
}
