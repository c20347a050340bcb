import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { isoDateIn } from '../domain/age.ts';
import {
  holdIdFor,
  holdLapseInstant,
  incomingKey,
  isPdfHeader,
  MAX_ORDER_BYTES,
  ORDER_CONTENT_TYPE,
  orderDocumentKey,
  UPLOAD_TTL_SECONDS,
  validateCourtOrderInput,
  type CourtOrder,
} from '../domain/court-order.ts';
import { ConflictError, IntegrityError, InvalidInputError } from '../domain/errors.ts';
import { dueDate, type RequestRecord } from '../domain/request.ts';
import { storedFields } from '../domain/tombstone.ts';
import { hashSecret, newSecret } from '../domain/tokens.ts';
import { authProblem, requireGroup, type Principal } from '../lib/auth.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { httpHandler, json, parseBody, problem, validate, type HttpEvent, type HttpResult } from '../lib/http.ts';

/**
 * Court orders (R12), for legal counsel signed in (group `counsel`; CONTRACT.md):
 *
 * - `POST /api/court-orders`: the metadata → `201 { orderId, upload: { url, fields } }`. The PDF then
 *   goes straight to storage (an S3 presigned POST in AWS; the same form locally), never through here,
 *   under `incoming/`. R16: an order not submitted within UNSUBMITTED_ORDER_DAYS goes (the order by
 *   the table's TTL, the upload by the bucket's lifecycle a day later).
 * - `POST /api/court-orders/{orderId}/submit`: the stored file is checked by its content (a PDF
 *   header, at most 10 MiB) and hashed; the checked version is copied under `orders/`, where it is
 *   kept; the named patron's records go under legal hold at once (R13); the request is created and
 *   its workflow started (two approvals, then disclosure).
 * - `GET /api/court-orders/{orderId}`: the order's state, its approvals and its hold (and, until it is
 *   submitted, a fresh upload form).
 * - `POST /api/court-orders/{orderId}/release-hold`: counsel releases the hold (audited, R17).
 *
 * Police requests without an order have no route: nothing here accepts a request without a PDF.
 */
const idParam = z.uuid();

/** 413 and 415 for the stored file; the S3 policy already refuses most, this is the check that counts. */
class FileTooLargeError extends Error {}
class NotPdfError extends Error {}

const counselActor = (p: Principal) => ({ kind: 'counsel' as const, id: p.email, role: 'counsel' });

export const createHandler = (deps: Deps) => {
  async function create(event: HttpEvent, who: Principal): Promise<HttpResult> {
    const raw = parseBody(event, z.unknown());
    const library = await deps.records.library();
    const input = validateCourtOrderInput(raw, isoDateIn(deps.clock(), library.timezone));
    // Counsel is signed in and entitled to know: an unknown card is bad metadata, named as such.
    const patron = await deps.records.findPatronByCard(input.patronCardNumber);
    if (!patron)
      throw new InvalidInputError('the court order is invalid', [
        { path: 'patronCardNumber', message: 'no patron has this card number' },
      ]);

    const now = deps.clock().toISOString();
    const orderId = randomUUID();
    // Uploads land apart from accepted orders: they expire if never submitted (R16), orders are kept (R12).
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
      // The card number is not kept (R5): the patron id is what every later step needs.
      patronId: patron.id,
      uploadedBy: who.email,
      uploadedBySub: who.sub,
      documentKey,
    };
    await deps.orders.create(order);
    const upload = await deps.documents.uploadForm(documentKey, {
      contentType: ORDER_CONTENT_TYPE,
      maxBytes: MAX_ORDER_BYTES,
      expiresInSeconds: UPLOAD_TTL_SECONDS,
    });
    return json(201, { orderId, status: order.status, upload });
  }

  async function submit(orderId: string, who: Principal): Promise<HttpResult> {
    const order = await deps.orders.get(orderId);
    if (order.uploadedBy !== who.email)
      return problem(403, 'Forbidden', 'Only the counsel who started this order may submit it.');
    if (order.status === 'submitted' && order.requestId) {
      const r = await deps.requests.findStored(order.requestId);
      if (r?.executionId) return json(202, { orderId, requestId: order.requestId, status: r.status });
      // Accepted, but the workflow did not start (a crash in between): finish the same steps below.
    }

    // Before anything is copied: a copy under orders/ is kept for good.
    const patron = await deps.records.getPatron(order.patronId);
    if (!patron) throw new ConflictError('the named patron is no longer on file');

    // Once a submit has recorded the kept copy (below), a retry uses it: the upload may have expired since
    // (R16), and the copy is what the hold, the audit and the approvers already refer to.
    let file = order.file;
    if (!file) {
      // The stored object, by content: present, at most 10 MiB, a real PDF header (not its name or declared type).
      const stored = await deps.documents.head(order.documentKey);
      if (!stored || stored.size === 0)
        throw new InvalidInputError('no file has been uploaded for this order', [{ path: 'file', message: 'missing' }]);
      if (stored.size > MAX_ORDER_BYTES) throw new FileTooLargeError();
      if (!isPdfHeader(await deps.documents.firstBytes(order.documentKey, 8, stored.versionId)))
        throw new NotPdfError();
      const sha256 = await deps.documents.sha256(order.documentKey, stored.versionId);
      // The version checked is the version kept: copied by its version id, so a later upload changes
      // nothing approved, and kept under orders/, where nothing expires (R12). A crash before the
      // record below leaves only a copy that a retry makes again. An order from before incoming/
      // existed was uploaded where it is kept: nothing to copy.
      const keyToKeep = orderDocumentKey(orderId);
      const kept =
        order.documentKey === keyToKeep
          ? stored
          : await deps.documents.copy(order.documentKey, stored.versionId, keyToKeep);
      if (kept.size !== stored.size)
        throw new IntegrityError('the kept copy of the order differs from the checked upload');
      file = { key: keyToKeep, sha256, size: stored.size, ...(kept.versionId ? { versionId: kept.versionId } : {}) };
    }
    const copied = file;
    // Two submits at once both copy; the first copy recorded is the one every later step uses.
    const reserved = await deps.orders.update(orderId, (o) =>
      o.status === 'submitted'
        ? undefined
        : { ...o, requestId: o.requestId ?? randomUUID(), holdId: holdIdFor(orderId), file: o.file ?? copied },
    );
    const checked = reserved.file ?? copied;
    const requestId = reserved.requestId as string;
    const holdId = reserved.holdId as string;

    // R13: from the moment the order is accepted, nothing deletes or anonymises the patron's records.
    const hold = await deps.holds.place({
      holdId,
      patronId: order.patronId,
      orderId,
      placedBy: order.uploadedBy,
      nondisclosure: order.nondisclosure,
      ...(order.lapsesOn !== undefined ? { lapsesOn: order.lapsesOn } : {}),
    });

    const now = deps.clock();
    const record: RequestRecord = {
      requestId,
      kind: 'court-order',
      status: 'received',
      version: 0,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      dueAt: dueDate(now, deps.policy.deadlines.byKind['court-order'] ?? deps.policy.deadlines.defaultDays),
      // Nobody holds a status key: counsel follows the order through the signed-in route.
      statusKeyHash: hashSecret(newSecret()),
      patronId: order.patronId,
      matched: true,
      orderId,
      submittedByStaff: order.uploadedBy,
    };
    try {
      await deps.requests.create(record);
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e; // a retried submit: the request is already there
    }
    // R17: who, what, when; ids, enums and the document's hash, never the patron's details.
    await deps.audit.append(requestId, {
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
        sha256: checked.sha256,
        size: checked.size,
        metadataAt: order.createdAt,
      },
    });
    await deps.audit.append(requestId, {
      eventId: 'legal-hold-placed',
      type: 'legal-hold-placed',
      actor: counselActor(who),
      data: { holdId: hold.holdId, lapsesOn: hold.lapsesOn ?? null },
    });
    await deps.orders.update(orderId, (o) =>
      o.status === 'submitted'
        ? undefined
        : {
            ...o,
            status: 'submitted',
            submittedAt: now.toISOString(),
            ...(o.lapsesOn ? { lapseDueAt: holdLapseInstant(o.lapsesOn) } : {}),
          },
    );
    // The workflow carries the request id only (R5).
    const { executionId } = await deps.workflow.start('court-order', requestId, { requestId });
    await deps.requests.update(requestId, (r) => (r.executionId ? undefined : { ...r, executionId }));
    return json(202, { orderId, requestId, status: 'received' });
  }

  async function view(orderId: string): Promise<HttpResult> {
    const order = await deps.orders.get(orderId);
    const stored = order.requestId ? await deps.requests.findStored(order.requestId) : undefined;
    const request = stored && storedFields(stored);
    let hold: Record<string, unknown> | undefined;
    if (order.holdId) {
      const h = await deps.holds.get(order.patronId, order.holdId);
      const active = h ? (await deps.holds.active(order.patronId)).some((a) => a.holdId === h.holdId) : false;
      if (h) {
        hold = {
          holdId: h.holdId,
          status: h.releasedAt ? 'released' : active ? 'active' : 'lapsed',
          placedAt: h.placedAt,
          ...(h.lapsesOn ? { lapsesOn: h.lapsesOn } : {}),
          ...(h.releasedAt ? { releasedAt: h.releasedAt, releasedBy: h.releasedBy } : {}),
        };
      }
    }
    return json(200, {
      orderId,
      status: order.status,
      court: order.court,
      caseNumber: order.caseNumber,
      orderType: order.orderType,
      issuedOn: order.issuedOn,
      categories: order.categories,
      ...(order.from ? { from: order.from } : {}),
      ...(order.to ? { to: order.to } : {}),
      nondisclosure: order.nondisclosure,
      ...(order.lapsesOn ? { lapsesOn: order.lapsesOn } : {}),
      uploadedBy: order.uploadedBy,
      createdAt: order.createdAt,
      ...(order.file ? { file: { sha256: order.file.sha256, size: order.file.size } } : {}),
      // Until submitted, a fresh upload form (the first one expires after 15 minutes); asking changes nothing.
      ...(order.status === 'awaiting-upload'
        ? {
            upload: await deps.documents.uploadForm(order.documentKey, {
              contentType: ORDER_CONTENT_TYPE,
              maxBytes: MAX_ORDER_BYTES,
              expiresInSeconds: UPLOAD_TTL_SECONDS,
            }),
          }
        : {}),
      ...(request
        ? {
            request: {
              requestId: request.requestId,
              status: request.status,
              createdAt: request.createdAt,
              dueAt: request.dueAt,
              decisions: (request.decisions ?? []).map((d) => ({
                step: d.step,
                decision: d.decision,
                by: d.byStaffId,
                role: d.role,
                at: d.at,
                ...(d.reason ? { reason: d.reason } : {}),
              })),
            },
          }
        : {}),
      ...(hold ? { hold } : {}),
    });
  }

  async function releaseHold(orderId: string, who: Principal): Promise<HttpResult> {
    const order = await deps.orders.get(orderId);
    if (order.status !== 'submitted' || !order.holdId || !order.requestId)
      return problem(409, 'Conflict', 'This order has no legal hold to release.');
    const hold = await deps.holds.release(order.patronId, order.holdId, who.email);
    await deps.orders.update(orderId, (o) =>
      o.holdReleasedAt ? undefined : { ...o, holdReleasedAt: hold.releasedAt, holdReleasedBy: hold.releasedBy },
    );
    await deps.audit.append(order.requestId, {
      eventId: 'legal-hold-released',
      type: 'legal-hold-released',
      actor: { kind: 'counsel', id: hold.releasedBy ?? who.email, role: 'counsel' },
      data: { holdId: hold.holdId },
    });
    return json(200, {
      orderId,
      hold: { holdId: hold.holdId, status: 'released', releasedAt: hold.releasedAt, releasedBy: hold.releasedBy },
    });
  }

  return httpHandler(deps, async (event) => {
    let who: Principal;
    try {
      who = requireGroup(event, 'counsel');
    } catch (e) {
      const p = authProblem(e);
      if (p) return p;
      throw e;
    }
    const method = event.requestContext.http.method;
    const id = event.pathParameters?.orderId;
    try {
      if (id === undefined) {
        if (method === 'POST') return await create(event, who);
      } else {
        const orderId = validate(idParam, id, 'the order id');
        if (method === 'GET') return await view(orderId);
        if (method === 'POST' && event.rawPath.endsWith('/submit')) return await submit(orderId, who);
        if (method === 'POST' && event.rawPath.endsWith('/release-hold')) return await releaseHold(orderId, who);
      }
    } catch (e) {
      if (e instanceof FileTooLargeError)
        return problem(
          413,
          'Payload too large',
          'The stored file is larger than 10 MB. Upload a smaller scan, then submit again.',
        );
      if (e instanceof NotPdfError)
        return problem(
          415,
          'Unsupported media type',
          'The stored file is not a PDF. Upload the order as a PDF, then submit again.',
        );
      throw e;
    }
    return problem(405, 'Method not allowed', 'This address does not accept that method.');
  });
};

export const handler = lambdaEntry(createHandler);
