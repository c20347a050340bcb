import { findPatron } from '../app/find-patron.ts';
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { verifyChain, type AuditActor } from '../domain/audit.ts';
import { auditToCsv } from '../domain/audit-csv.ts';
import { ConflictError, IllegalTransitionError, InvalidInputError, NotFoundError } from '../domain/errors.ts';
import { storedFields, type StoredRequest } from '../domain/tombstone.ts';
import {
  contactEmailOf,
  isTerminal,
  requesterPatronIdOf,
  REQUEST_KINDS,
  REQUEST_STATUSES,
  type RequestKind,
  type RequestRecord,
  type RequestStatus,
  type Verification,
} from '../domain/request.ts';
import { newRequestRecord } from '../domain/new-request.ts';
import { requestInputSchema, type RequestInput } from '../domain/request-input.ts';
import {
  buildStats,
  byDue,
  daysLeft,
  dueLowerBound,
  effectiveDue,
  extensionSchema,
  isOverdueNow,
  OPEN_STATUSES,
  QUEUE_ATTRIBUTES,
  queueItem,
  statsRange,
  statsRow,
  statsToCsv,
  STATS_ATTRIBUTES,
  type QueueItem,
  type StatsRow,
} from '../domain/staff-desk.ts';
import { isClockPaused } from '../domain/deadlines.ts';
import type { StaffRole } from '../domain/staff.ts';
import { tokenState } from '../domain/tokens.ts';
import { authProblem, ForbiddenError, principalOf, type Principal } from '../lib/auth.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import {
  header,
  httpHandler,
  json,
  parseBody,
  problem,
  validate,
  type HttpEvent,
  type HttpResult,
} from '../lib/http.ts';
import { deadlineExtendedEmail } from '../render/staff-emails.ts';
import type { Patron } from '../domain/dataset.ts';
import type { WorkflowName } from '../../workflows/index.ts';
import { DOCUMENT_KINDS } from '../domain/identity-documents.ts';

/**
 * The staff desk (signed in, any staff role; CONTRACT.md "Counsel and staff"):
 *
 * - `GET  /api/staff/requests?status=&kind=`: the queue, soonest due first. Read per status from
 *   gsi2 (never a scan), and only ids, enums and dates: no name, email or card number (R1).
 * - `GET  /api/staff/requests/{id}`: one request with the patron's details its handling needs, the
 *   decisions, the steps still waiting and the audit trail. The read is itself audited (R1, R17).
 * - `GET  /api/staff/requests/{id}/audit.csv`: the audit trail as CSV (also audited).
 * - `POST /api/staff/requests`: a request made at the desk on a patron's behalf. Staff verified the
 *   patron there (R4: only how, by whom, when), so the request starts verified and its workflow's
 *   verification step answers at once (task-request-verification).
 * - `POST /api/staff/requests/{id}/extend {days, reason}`: the one extension of the due date (R15);
 *   the requester is told the new date by email.
 * - `GET  /api/staff/stats?from=&to=[&format=csv]`: de-identified statistics (R3).
 */
const idParam = z.uuid();

/** Court orders are seen only by the roles that handle them (R1, R12: need to know). */
const COURT_ORDER_ROLES: readonly StaffRole[] = ['privacy-officer', 'director', 'counsel'];

/** Request kinds a patron can make at the desk, and their workflow (one definition per kind). */
const DESK_WORKFLOWS: Partial<Record<RequestKind, WorkflowName>> = {
  access: 'access',
  export: 'export',
  correction: 'correction',
  deletion: 'deletion',
  'guardian-access': 'guardian-access',
};

const blankToUndefined = (v: unknown) => (v === '' ? undefined : v);
const queueQuery = z.object({
  status: z.preprocess(blankToUndefined, z.enum(REQUEST_STATUSES).optional()),
  kind: z.preprocess(blankToUndefined, z.enum(REQUEST_KINDS).optional()),
  limit: z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(500).optional()),
});
const statsQuery = z.object({
  from: z.preprocess(blankToUndefined, z.iso.date('use YYYY-MM-DD').optional()),
  to: z.preprocess(blankToUndefined, z.iso.date('use YYYY-MM-DD').optional()),
  format: z.preprocess(blankToUndefined, z.enum(['json', 'csv']).optional()),
});
const documentKindSchema = z.enum(
  Object.keys(DOCUMENT_KINDS) as [string, ...string[]],
  'choose how you verified the patron',
);

/** Any staff role will do; someone signed in with none of them is refused (403). */
function requireStaff(event: HttpEvent): Principal {
  const who = principalOf(event);
  if (who.groups.length === 0) throw new ForbiddenError('no staff role');
  return who;
}

const staffActor = (who: Principal): AuditActor => ({ kind: 'staff', id: who.email, role: who.groups.join(' ') });

/** The role recorded for a desk verification (R4): circulation staff work the desk. */
const deskRole = (who: Principal): StaffRole =>
  who.groups.includes('circulation') ? 'circulation' : (who.groups[0] as StaffRole);

const mayRead = (who: Principal, r: Pick<RequestRecord, 'kind'>): boolean =>
  r.kind !== 'court-order' || who.groups.some((g) => COURT_ORDER_ROLES.includes(g));

const personOf = (p: Patron | undefined) =>
  p
    ? { patronId: p.id, name: `${p.firstName} ${p.lastName}`, cardNumber: p.cardNumber, emailOnFile: Boolean(p.email) }
    : undefined;

export const createHandler = (deps: Deps) => {
  async function queue(event: HttpEvent, who: Principal): Promise<HttpResult> {
    const q = validate(queueQuery, event.queryStringParameters ?? {}, 'the filters');
    const limit = q.limit ?? 200;
    const now = deps.clock();
    const statuses: readonly RequestStatus[] = q.status ? [q.status] : OPEN_STATUSES;
    const items: QueueItem[] = [];
    let truncated = false;
    // Each status is one partition of gsi2, already sorted by due date: read each, merge, sort.
    for (const status of statuses) {
      let startKey: Record<string, unknown> | undefined;
      let kept = 0;
      do {
        const page = await deps.requests.pageByStatus(status, {
          attributes: QUEUE_ATTRIBUTES,
          limit: 200,
          ...(startKey ? { startKey } : {}),
        });
        for (const row of page.items) {
          if (q.kind && row.kind !== q.kind) continue;
          if (!mayRead(who, { kind: row.kind as RequestKind })) continue;
          const item = queueItem(row, now);
          if (item) {
            items.push(item);
            kept++;
          }
        }
        startKey = page.nextKey;
        if (startKey && kept >= limit) {
          truncated = true;
          break;
        }
      } while (startKey);
    }
    items.sort(byDue);
    return json(200, {
      filters: { status: q.status ?? 'open', kind: q.kind ?? 'any' },
      generatedAt: now.toISOString(),
      count: Math.min(items.length, limit),
      truncated: truncated || items.length > limit,
      requests: items.slice(0, limit),
    });
  }

  async function readable(requestId: string, who: Principal): Promise<StoredRequest> {
    const r = await deps.requests.getStored(requestId);
    if (!mayRead(who, r)) throw new ForbiddenError('court orders are for the roles that handle them');
    return r;
  }

  /** R1: every staff read of a patron's records is on the trail, with who read which fields and why. */
  const recordRead = (requestId: string, who: Principal, purpose: string, fields: string[]) =>
    deps.audit.append(requestId, {
      eventId: `staff-read:${randomUUID()}`,
      type: 'staff-read',
      actor: staffActor(who),
      data: { purpose, fields },
    });

  async function detail(requestId: string, who: Principal): Promise<HttpResult> {
    const r = storedFields(await readable(requestId, who));
    const [patron, requester] = await Promise.all([
      r.patronId ? deps.records.getPatron(r.patronId) : undefined,
      r.requesterPatronId ? deps.records.getPatron(r.requesterPatronId) : undefined,
    ]);
    const fields = [
      ...(patron ? ['patron.name', 'patron.cardNumber'] : []),
      ...(requester ? ['requester.name', 'requester.cardNumber'] : []),
      ...(r.thirdParty?.name !== undefined ? ['thirdParty.contact', 'thirdParty.purpose'] : []),
    ];
    await recordRead(requestId, who, 'staff-request-page', fields);
    const [events, tokens] = await Promise.all([deps.audit.list(requestId), deps.tokens.listOfRequest(requestId)]);
    const now = deps.clock();

    // The steps still waiting: one line per step and party, never a link or its secret.
    const pending = new Map<string, { purpose: string; step: string; waitingOn: string; expiresAt: string }>();
    for (const t of tokens) {
      if (t.purpose === 'download' || tokenState(t, now) !== 'usable') continue;
      const waitingOn = t.recipient.kind === 'staff' ? (t.recipient.role ?? 'staff') : t.recipient.kind;
      const key = `${t.purpose}|${t.step}|${waitingOn}`;
      const prev = pending.get(key);
      if (!prev || prev.expiresAt < t.expiresAt)
        pending.set(key, { purpose: t.purpose, step: t.step, waitingOn, expiresAt: t.expiresAt });
    }

    const due = effectiveDue(r, now);
    return json(200, {
      requestId: r.requestId,
      kind: r.kind,
      status: r.status,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
      dueAt: due.toISOString(),
      daysLeft: daysLeft(r, now),
      overdue: isOverdueNow(r, now),
      paused: !isTerminal(r.status) && isClockPaused(r),
      ...(r.closedAt ? { closedAt: r.closedAt } : {}),
      matched: r.matched ?? null,
      ...(r.submittedByStaff ? { submittedByStaff: r.submittedByStaff } : {}),
      ...(patron ? { patron: personOf(patron) } : {}),
      ...(requester ? { requester: personOf(requester) } : {}),
      ...(r.thirdParty ? { thirdParty: r.thirdParty } : {}),
      // R6: which fields a correction asks to change; the values are shown to the approver only.
      ...(r.changes ? { changes: Object.keys(r.changes) } : {}),
      ...(r.verification ? { verification: r.verification } : {}),
      decisions: r.decisions ?? [],
      ...(r.consent ? { consent: r.consent } : {}),
      ...(r.guardianLink ? { guardianLink: r.guardianLink } : {}),
      ...(r.ageBand ? { ageBand: r.ageBand } : {}),
      ...(r.guardianLinkCheck ? { guardianLinkCheck: r.guardianLinkCheck } : {}),
      ...(r.denial ? { denial: r.denial } : {}),
      ...(r.outcome ? { outcome: r.outcome } : {}),
      ...(r.failure ? { failure: r.failure } : {}),
      ...(r.orderId ? { orderId: r.orderId } : {}),
      ...(r.extension ? { extension: r.extension } : {}),
      canExtend: !r.extension && !isTerminal(r.status) && r.matched !== false,
      pending: [...pending.values()],
      history: events.filter((e) => e.type !== 'staff-read').map((e) => ({ at: e.at, type: e.type, actor: e.actor })),
      audit: { chain: verifyChain(events), events },
    });
  }

  async function auditCsv(requestId: string, who: Principal): Promise<HttpResult> {
    await readable(requestId, who);
    await recordRead(requestId, who, 'audit-export', []);
    const events = await deps.audit.list(requestId);
    return {
      statusCode: 200,
      headers: {
        ...json(200, {}).headers,
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="audit-${requestId}.csv"`,
      },
      body: auditToCsv(events),
    };
  }

  async function onBehalf(event: HttpEvent, who: Principal): Promise<HttpResult> {
    const raw = parseBody(event, z.record(z.string(), z.unknown()));
    const { documentKind: rawDocumentKind, ...rest } = raw;
    const issues: { path: string; message: string }[] = [];
    const doc = documentKindSchema.safeParse(rawDocumentKind);
    if (!doc.success) issues.push({ path: 'documentKind', message: 'choose how you verified the patron' });
    let input: RequestInput | undefined;
    try {
      input = validate(requestInputSchema, rest);
    } catch (e) {
      if (!(e instanceof InvalidInputError)) throw e;
      issues.push(...e.issues);
    }
    const workflow = input ? DESK_WORKFLOWS[input.kind] : undefined;
    if (input && !workflow)
      issues.push({ path: 'kind', message: 'only a patron’s own requests, or a guardian’s, can be made at the desk' });
    if (!input || !workflow || !doc.success || issues.length)
      throw new InvalidInputError('the request is invalid', issues);

    // The person at the desk is the one verified: the patron, or for a guardian's request the guardian.
    const identity =
      'cardNumber' in input
        ? { cardNumber: input.cardNumber, lastName: input.lastName }
        : input.kind === 'guardian-access'
          ? input.guardian
          : undefined;
    if (!identity)
      throw new InvalidInputError('the request is invalid', [{ path: 'kind', message: 'not a desk request' }]);
    const prefix = input.kind === 'guardian-access' ? 'guardian.' : '';
    // Staff are signed in and checked the person's card: a mismatch is said plainly, unlike the public form.
    const candidate = await findPatron(deps, identity);
    if (!candidate) {
      throw new InvalidInputError('no patron has this card number and last name', [
        { path: `${prefix}cardNumber`, message: 'no patron has this card number and last name' },
        { path: `${prefix}lastName`, message: 'no patron has this card number and last name' },
      ]);
    }

    const now = deps.clock();
    const { record: submitted, statusKey: key } = newRequestRecord(input, now, deps.policy);
    const { requestId } = submitted;
    // R4: who verified, in which role, when and by what kind of document; never the document.
    const verification: Verification = {
      method: 'in-person',
      verifiedAt: now.toISOString(),
      verifiedByRole: deskRole(who),
      verifiedByStaffId: who.email,
      documentKind: doc.data,
    };
    // Whoever entered the request never approves it (separation of duties, as for court orders).
    const record: RequestRecord = { ...submitted, verification, submittedByStaff: who.email };
    await deps.requests.create(record);
    await deps.audit.append(requestId, {
      eventId: 'received',
      type: 'request-received',
      actor: staffActor(who),
      data: { kind: input.kind, channel: 'desk' },
    });
    await deps.audit.append(requestId, {
      eventId: 'verified:desk',
      type: 'identity-verified',
      actor: { kind: 'staff', id: who.email, role: verification.verifiedByRole },
      data: { method: 'in-person', documentKind: doc.data },
    });
    const { executionId } = await deps.workflow.start(workflow, requestId, { requestId });
    await deps.requests.update(requestId, (r) => (r.executionId ? undefined : { ...r, executionId }));
    // The status address can be printed for the patron: it shows the status, never their details.
    return json(202, {
      requestId,
      kind: input.kind,
      status: 'received',
      statusUrl: `/api/requests/${requestId}?key=${key}`,
    });
  }

  /** Where the requester hears from us: the email on their own record, or the one they gave (third party). */
  async function requesterEmail(r: RequestRecord): Promise<string | undefined> {
    if (r.kind === 'third-party') return r.thirdParty?.email;
    if (r.kind === 'court-order') return r.submittedByStaff;
    const id = requesterPatronIdOf(r) ?? r.patronId;
    const person = id ? await deps.records.getPatron(id) : undefined;
    return person?.email ?? contactEmailOf(r);
  }

  async function extend(event: HttpEvent, requestId: string, who: Principal): Promise<HttpResult> {
    const input = parseBody(event, extensionSchema);
    await readable(requestId, who);
    const at = deps.clock().toISOString();
    let extended: RequestRecord;
    try {
      extended = await deps.requests.update(requestId, (r) => {
        if (r.extension) throw new ConflictError('already extended');
        if (isTerminal(r.status) || r.matched === false) throw new IllegalTransitionError('closed');
        const newDueAt = new Date(Date.parse(r.dueAt) + input.days * 86_400_000).toISOString();
        return {
          ...r,
          dueAt: newDueAt,
          extension: {
            days: input.days,
            reason: input.reason,
            byStaffId: who.email,
            role: who.groups.join(' '),
            at,
            previousDueAt: r.dueAt,
            newDueAt,
          },
        };
      });
    } catch (e) {
      if (e instanceof ConflictError)
        return problem(409, 'Already extended', 'A request’s deadline can be extended only once.');
      if (e instanceof IllegalTransitionError)
        return problem(409, 'Cannot extend', 'Only an open request can have its deadline extended.');
      throw e;
    }
    const extension = extended.extension as NonNullable<RequestRecord['extension']>;
    const now = deps.clock();
    const newDue = effectiveDue(extended, now).toISOString();
    const to = await requesterEmail(extended);
    if (to) {
      const library = await deps.records.library();
      await deps.mailer.send({
        to: [to],
        ...deadlineExtendedEmail({
          library: library.name,
          requestId,
          kind: extended.kind,
          createdAt: extended.createdAt,
          newDueAt: newDue,
          reason: extension.reason,
          timezone: library.timezone,
        }),
      });
    }
    // The reason is written for the requester and may name people (a third party, a court case, a
    // family matter): it stays on the request, in the encrypted table, and in the email; the audit
    // trail keeps who, when and the dates, as it does for a rejection's reason.
    await deps.audit.append(requestId, {
      eventId: 'deadline-extended',
      type: 'deadline-extended',
      actor: staffActor(who),
      data: {
        days: extension.days,
        previousDueAt: extension.previousDueAt,
        newDueAt: extension.newDueAt,
        requesterNotified: to ? 'email' : 'no-email-on-file',
      },
    });
    return json(200, {
      requestId,
      days: extension.days,
      previousDueAt: extension.previousDueAt,
      dueAt: newDue,
      requesterNotified: Boolean(to),
    });
  }

  async function stats(event: HttpEvent): Promise<HttpResult> {
    const q = validate(statsQuery, event.queryStringParameters ?? {}, 'the date range');
    const library = await deps.records.library();
    const now = deps.clock();
    let range;
    try {
      range = statsRange(q, now, library.timezone);
    } catch (e) {
      if (e instanceof RangeError || e instanceof InvalidInputError)
        throw new InvalidInputError('the date range is invalid', [
          { path: 'from', message: 'from must be a date on or before to, at most three years apart' },
        ]);
      throw e;
    }
    // R3 without a scan: each status partition of gsi2 from the range's start (see dueLowerBound),
    // projecting kind, status and dates only.
    const rows: StatsRow[] = [];
    for (const status of REQUEST_STATUSES) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await deps.requests.pageByStatus(status, {
          attributes: STATS_ATTRIBUTES,
          dueFrom: dueLowerBound(range),
          limit: 1000,
          ...(startKey ? { startKey } : {}),
        });
        for (const item of page.items) rows.push(statsRow(item));
        startKey = page.nextKey;
      } while (startKey);
    }
    const report = buildStats(rows, range, now, library.timezone);
    if (q.format === 'csv' || (!q.format && /text\/csv/.test(header(event, 'accept') ?? ''))) {
      return {
        statusCode: 200,
        headers: {
          ...json(200, {}).headers,
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename="privacy-desk-statistics-${range.from}-to-${range.to}.csv"`,
        },
        body: statsToCsv(report),
      };
    }
    return json(200, report);
  }

  return httpHandler(deps, async (event) => {
    try {
      const who = requireStaff(event);
      const requestId = () => validate(idParam, event.pathParameters?.requestId, 'the request id');
      // The route API Gateway (or the local server) matched, so the handler never parses paths itself.
      switch (event.routeKey) {
        case 'GET /api/staff/requests':
          return await queue(event, who);
        case 'POST /api/staff/requests':
          return await onBehalf(event, who);
        case 'GET /api/staff/requests/{requestId}':
          return await detail(requestId(), who);
        case 'GET /api/staff/requests/{requestId}/audit.csv':
          return await auditCsv(requestId(), who);
        case 'POST /api/staff/requests/{requestId}/extend':
          return await extend(event, requestId(), who);
        case 'GET /api/staff/stats':
          return await stats(event);
      }
      return problem(405, 'Method not allowed', 'This address does not accept that method.');
    } catch (e) {
      const auth = authProblem(e);
      if (auth) return auth;
      if (e instanceof NotFoundError) return problem(404, 'Not found', 'There is no request with this id.');
      throw e;
    }
  });
};

export const handler = lambdaEntry(createHandler);
