import { createHash, randomUUID } from 'node:crypto';
import {
  courtOrderDueAt,
  holdIdFor,
  recordedHoldIdFor,
  holdLapseInstant,
  MAX_ORDER_BYTES,
  orderDocumentKey,
  type CourtOrder,
} from '../domain/court-order.ts';
import { ConflictError, IntegrityError, InvalidInputError } from '../domain/errors.ts';
import { newRequestRecord } from '../domain/new-request.ts';
import { checkPdf, type PdfVerdict } from '../domain/pdf-check.ts';
import type { RequestStatus } from '../domain/request.ts';
import type { Principal } from '../lib/auth.ts';
import type { Deps } from '../lib/deps.ts';
import { startRequest } from './start-request.ts';

/** Only the counsel who started an order may submit it. */
export class NotOrderUploaderError extends Error {
  override name = 'NotOrderUploaderError';
}

/** The stored file is over 10 MiB (413); the S3 policy already refuses most, this is the check that counts. */
export class OrderFileTooLargeError extends Error {
  override name = 'OrderFileTooLargeError';
}

/**
 * The stored file is not a plain, complete PDF by its content (415), whatever its name or declared
 * type; `reason` says which check it failed (R12).
 */
export class OrderFileNotPdfError extends Error {
  override name = 'OrderFileNotPdfError';
  constructor(readonly reason: Exclude<PdfVerdict, { ok: true }>['reason']) {
    super(reason);
  }
}

type SubmitDeps = Pick<
  Deps,
  'orders' | 'requests' | 'records' | 'people' | 'documents' | 'holds' | 'audit' | 'workflow' | 'clock' | 'policy'
>;

const counselActor = (p: Principal) => ({ kind: 'counsel' as const, id: p.email, role: 'counsel' });

/**
 * The uploaded file, checked by its content (present, at most 10 MiB, a complete PDF with nothing a
 * reader would run by itself: domain/pdf-check.ts) and hashed, from one read of the version checked.
 * The version checked is the version kept: copied by its version id under orders/, where nothing
 * expires (R12), so a later upload changes nothing approved. A crash before the copy is recorded
 * leaves only a copy that a retry makes again. An order from before incoming/ existed was uploaded
 * where it is kept: nothing to copy.
 */
async function keepCheckedFile(deps: SubmitDeps, order: CourtOrder): Promise<NonNullable<CourtOrder['file']>> {
  const stored = await deps.documents.head(order.documentKey);
  if (!stored || stored.size === 0)
    throw new InvalidInputError('no file has been uploaded for this order', [{ path: 'file', message: 'missing' }]);
  if (stored.size > MAX_ORDER_BYTES) throw new OrderFileTooLargeError('too large');
  const bytes = await deps.documents.bytes(order.documentKey, stored.versionId);
  const verdict = checkPdf(bytes);
  if (!verdict.ok) throw new OrderFileNotPdfError(verdict.reason);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const keyToKeep = orderDocumentKey(order.orderId);
  const kept =
    order.documentKey === keyToKeep
      ? stored
      : await deps.documents.copy(order.documentKey, stored.versionId, keyToKeep);
  if (kept.size !== stored.size) throw new IntegrityError('the kept copy of the order differs from the checked upload');
  return { key: keyToKeep, sha256, size: stored.size, ...(kept.versionId ? { versionId: kept.versionId } : {}) };
}

/**
 * Counsel submits an uploaded order (R12): the file is checked and kept, the legal hold placed when the
 * order was recorded is on the request's trail (R13, R17), and the court-order request starts (two
 * approvals, then disclosure).
 * Every step is idempotent, so a retried submit finishes what a crashed one began.
 */
export async function submitCourtOrder(
  deps: SubmitDeps,
  who: Principal,
  orderId: string,
): Promise<{ orderId: string; requestId: string; status: RequestStatus }> {
  const order = await deps.orders.get(orderId);
  if (order.uploadedBy !== who.email) throw new NotOrderUploaderError('not the uploader');
  if (order.status === 'submitted' && order.requestId) {
    const r = await deps.requests.findStored(order.requestId);
    // Its workflow moved it on (a record from before keeps its execution id): nothing is left to do.
    if (r && (r.executionId !== undefined || r.status !== 'received'))
      return { orderId, requestId: order.requestId, status: r.status };
    // Accepted, but maybe not started (a crash in between): finish the same steps below; each is idempotent.
  }

  // Before anything is copied: a copy under orders/ is kept for good.
  const patron = await deps.people.getPatron(order.patronId);
  if (!patron) throw new ConflictError('the named patron is no longer on file');

  // Once a submit has recorded the kept copy, a retry uses it: the upload may have expired since (R16),
  // and the copy is what the hold, the audit and the approvers already refer to.
  const copied = order.file ?? (await keepCheckedFile(deps, order));
  // Two submits at once both copy; the first copy recorded is the one every later step uses.
  const reserved = await deps.orders.update(orderId, (o) =>
    o.status === 'submitted'
      ? undefined
      : { ...o, requestId: o.requestId ?? randomUUID(), holdId: holdIdFor(orderId), file: o.file ?? copied },
  );
  const checked = reserved.file ?? copied;
  // R16: from here the kept copy exists, so the documents' retention sweep must know of it (a retry puts it again).
  await deps.orders.markDocumentsKept(orderId);
  const requestId = reserved.requestId as string;
  const holdId = reserved.holdId as string;

  // R13: the order's own hold, which stays until released or lapsed; the one placed when counsel
  // recorded the order (create-court-order.ts) held the records until now.
  const recorded = await deps.holds.get(order.patronId, recordedHoldIdFor(orderId));
  const hold = await deps.holds.place({
    holdId,
    patronId: order.patronId,
    orderId,
    placedBy: order.uploadedBy,
    nondisclosure: order.nondisclosure,
    ...(order.lapsesOn !== undefined ? { lapsesOn: order.lapsesOn } : {}),
  });

  const now = deps.clock();
  // Nobody holds its status key: counsel follows the order through the signed-in route.
  const { record: byPolicy } = newRequestRecord(
    { kind: 'court-order', patronId: order.patronId, orderId, submittedBy: order.uploadedBy },
    now,
    deps.policy,
    requestId,
  );
  // R15, R12: the staff queue, its reminders and the overdue alarm follow the court's date when it is sooner.
  const { timezone } = await deps.records.library();
  const record = { ...byPolicy, dueAt: courtOrderDueAt(byPolicy.dueAt, order.returnOn, timezone) };
  await startRequest(deps, {
    record,
    retry: true,
    events: [
      // R17: who, what, when; ids, enums and the document's hash, never the patron's details.
      {
        eventId: 'court-order-received',
        type: 'court-order-received',
        actor: counselActor(who),
        data: {
          orderId,
          orderType: order.orderType,
          categories: order.categories,
          from: order.from ?? null,
          to: order.to ?? null,
          nondisclosure: order.nondisclosure,
          nondisclosureEndsOn: order.nondisclosureEndsOn ?? null,
          returnOn: order.returnOn ?? null,
          sha256: checked.sha256,
          size: checked.size,
          metadataAt: order.createdAt,
        },
      },
      {
        eventId: 'legal-hold-placed',
        type: 'legal-hold-placed',
        actor: counselActor(who),
        data: { holdId: hold.holdId, heldSince: recorded?.placedAt ?? hold.placedAt, lapsesOn: hold.lapsesOn ?? null },
      },
    ],
    // The order reads as submitted once its request and trail exist, before the workflow runs.
    beforeWorkflow: () =>
      deps.orders.update(orderId, (o) =>
        o.status === 'submitted'
          ? undefined
          : {
              ...o,
              status: 'submitted',
              submittedAt: now.toISOString(),
              ...(o.lapsesOn ? { lapseDueAt: holdLapseInstant(o.lapsesOn) } : {}),
            },
      ),
  });
  return { orderId, requestId, status: 'received' };
}
