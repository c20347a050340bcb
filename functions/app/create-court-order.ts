import { randomUUID } from 'node:crypto';
import type { UploadForm } from '../adapters/s3/documents.ts';
import { isoDateIn } from '../domain/age.ts';
import {
  incomingKey,
  recordedHoldIdFor,
  recordedHoldLapsesOn,
  MAX_ORDER_BYTES,
  ORDER_CONTENT_TYPE,
  UPLOAD_TTL_SECONDS,
  validateCourtOrderInput,
  type CourtOrder,
} from '../domain/court-order.ts';
import { InvalidInputError } from '../domain/errors.ts';
import type { Principal } from '../lib/auth.ts';
import type { Deps } from '../lib/deps.ts';

/** A presigned form for the order's PDF: straight to storage, never through the API, short-lived. */
export const orderUploadForm = (deps: Pick<Deps, 'documents'>, documentKey: string): Promise<UploadForm> =>
  deps.documents.uploadForm(documentKey, {
    contentType: ORDER_CONTENT_TYPE,
    maxBytes: MAX_ORDER_BYTES,
    expiresInSeconds: UPLOAD_TTL_SECONDS,
  });

/**
 * Counsel files an order's metadata (R12) and gets a form to upload its PDF. Uploads land apart from
 * accepted orders: they expire if never submitted (R16), orders are kept (R12). R13: the named
 * patron's records are under legal hold from this moment, not from the submit.
 */
export async function createCourtOrder(
  deps: Pick<Deps, 'records' | 'people' | 'orders' | 'documents' | 'holds' | 'clock'>,
  who: Principal,
  raw: unknown,
): Promise<{ orderId: string; status: CourtOrder['status']; upload: UploadForm }> {
  const library = await deps.records.library();
  const today = isoDateIn(deps.clock(), library.timezone);
  const input = validateCourtOrderInput(raw, today);
  // Counsel is signed in and entitled to know: an unknown card is bad metadata, named as such.
  // R19: the card is looked up in every identity system (Koha, the records table, …), not one copy.
  const patron = await deps.people.findByCardNumber(input.patronCardNumber);
  if (!patron)
    throw new InvalidInputError('the court order is invalid', [
      { path: 'patronCardNumber', message: 'no patron has this card number' },
    ]);

  const now = deps.clock().toISOString();
  const orderId = randomUUID();
  const documentKey = incomingKey(orderId);
  const order: CourtOrder = {
    orderId,
    version: 0,
    status: 'awaiting-upload',
    createdAt: now,
    updatedAt: now,
    court: input.court,
    caseNumber: input.caseNumber,
    orderType: input.orderType,
    issuedOn: input.issuedOn,
    categories: input.categories,
    ...(input.from !== undefined ? { from: input.from } : {}),
    ...(input.to !== undefined ? { to: input.to } : {}),
    nondisclosure: input.nondisclosure,
    ...(input.lapsesOn !== undefined ? { lapsesOn: input.lapsesOn } : {}),
    ...(input.nondisclosureEndsOn !== undefined ? { nondisclosureEndsOn: input.nondisclosureEndsOn } : {}),
    ...(input.returnOn !== undefined ? { returnOn: input.returnOn } : {}),
    ...(input.documentRetentionDays !== undefined ? { documentRetentionDays: input.documentRetentionDays } : {}),
    // The card number is not kept (R5): the patron id is what every later step needs.
    patronId: patron.id,
    uploadedBy: who.email,
    uploadedBySub: who.sub,
    documentKey,
  };
  // R13: the hold first, so no deletion slips in between recording the order and holding its patron.
  await deps.holds.place({
    holdId: recordedHoldIdFor(orderId),
    patronId: patron.id,
    orderId,
    placedBy: who.email,
    nondisclosure: input.nondisclosure,
    lapsesOn: recordedHoldLapsesOn(today, input.lapsesOn),
  });
  await deps.orders.create(order);
  return { orderId, status: order.status, upload: await orderUploadForm(deps, documentKey) };
}
