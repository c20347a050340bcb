import * as z from '../domain/zod.ts';
import { auditTrailCsv } from '../app/audit-trail-csv.ts';
import { approveAtDesk, DeskCheckRefusedError } from '../app/desk-check.ts';
import { startDeskRequest } from '../app/desk-request.ts';
import { extendDeadline, ExtensionRefusedError } from '../app/extend-deadline.ts';
import { handOverSchema, recordHandOver, HandOverRefusedError } from '../app/hand-over.ts';
import { requestStatistics, statsQuerySchema } from '../app/request-statistics.ts';
import { queueQuerySchema, staffQueue } from '../app/staff-queue.ts';
import { requireStaffRole } from '../app/staff-read.ts';
import { staffRequestDetail } from '../app/staff-request-detail.ts';
import { NotFoundError } from '../domain/errors.ts';
import { extensionSchema } from '../domain/staff-desk.ts';
import { actionsOf } from '../domain/staff.ts';
import { authProblem, principalOf, type Principal } from '../lib/auth.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { csvAttachment, header, httpHandler, json, parseBody, problem, validate, type HttpEvent } from '../lib/http.ts';
import { dispatch, type Routes } from '../lib/routes.ts';

/**
 * The staff desk, any staff role (CONTRACT.md "Counsel and staff"): the queue (R1), a request and its
 * audited read (R1, R17), its trail as CSV, a desk request (R4), a second staff member's approval of
 * one (R4, R6), the hand-over of a printed file (R1, R17), an extension (R15), statistics (R3).
 * Which role may take which action is domain/staff.ts's (R1, R12); the answers name the actions
 * the signed-in role may take, so the page offers only those.
 */
const requestIdOf = (event: HttpEvent) => validate(z.uuid(), event.pathParameters?.requestId, 'the request id');

const staffRoutes = (deps: Deps, who: Principal): Routes => ({
  'GET /api/staff/requests': async (event) => {
    const filters = validate(queueQuerySchema, event.queryStringParameters ?? {}, 'the filters');
    return json(200, { ...(await staffQueue(deps, who, filters)), actions: actionsOf(who.groups) });
  },
  'POST /api/staff/requests': async (event) =>
    json(202, await startDeskRequest(deps, who, parseBody(event, z.record(z.string(), z.unknown())))),
  'GET /api/staff/requests/{requestId}': async (event) =>
    json(200, await staffRequestDetail(deps, who, requestIdOf(event))),
  'GET /api/staff/requests/{requestId}/audit.csv': async (event) => {
    const requestId = requestIdOf(event);
    return csvAttachment(await auditTrailCsv(deps, who, requestId), `audit-${requestId}.csv`);
  },
  'POST /api/staff/requests/{requestId}/approve': async (event) =>
    json(200, await approveAtDesk(deps, who, requestIdOf(event))),
  'POST /api/staff/requests/{requestId}/hand-over': async (event) =>
    json(200, await recordHandOver(deps, who, requestIdOf(event), parseBody(event, handOverSchema))),
  'POST /api/staff/requests/{requestId}/extend': async (event) =>
    json(200, await extendDeadline(deps, who, requestIdOf(event), parseBody(event, extensionSchema))),
  'GET /api/staff/stats': async (event) => {
    const q = validate(statsQuerySchema, event.queryStringParameters ?? {}, 'the date range');
    const format = q.format ?? (/text\/csv/.test(header(event, 'accept') ?? '') ? 'csv' : 'json');
    const stats = await requestStatistics(deps, who, q, format);
    return stats.format === 'csv' ? csvAttachment(stats.csv, stats.fileName) : json(200, stats.report);
  },
});

export const createHandler = (deps: Deps) =>
  httpHandler(deps, async (event) => {
    try {
      return await dispatch(staffRoutes(deps, requireStaffRole(principalOf(event))), event);
    } catch (e) {
      const auth = authProblem(e);
      if (auth) return auth;
      if (e instanceof NotFoundError) return problem(404, 'Not found', 'There is no request with this id.');
      if (e instanceof ExtensionRefusedError) return problem(409, e.title, e.detail);
      if (e instanceof DeskCheckRefusedError || e instanceof HandOverRefusedError)
        return problem(e.status, e.title, e.detail);
      throw e;
    }
  });

export const handler = lambdaEntry(createHandler);
