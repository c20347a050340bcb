import { DESK_KINDS } from '../domain/staff-desk.ts';
import * as z from '../domain/zod.ts';
import { DESK_CHECK_VIAS, needsDeskCheck, type DeskCheck, type DeskCheckVia } from '../domain/desk-checks.ts';
import { InvalidInputError } from '../domain/errors.ts';
import { DOCUMENT_KINDS } from '../domain/identity-documents.ts';
import { newRequestRecord } from '../domain/new-request.ts';
import type { RequestKind, RequestRecord, Verification } from '../domain/request.ts';
import { requestInputSchema, type RequestInput } from '../domain/request-input.ts';
import type { StaffRole } from '../domain/staff.ts';
import type { Principal } from '../lib/auth.ts';
import type { Deps } from '../lib/deps.ts';
import { validate } from '../lib/http.ts';
import { findPatron } from './find-patron.ts';
import { ownAddressee } from './own-channel.ts';
import { requireAction } from './staff-permissions.ts';
import { startRequest } from './start-request.ts';
import { staffActor } from './staff-read.ts';
import { statusUrlOf } from './submit-request.ts';

const documentKindSchema = z.lazy(() =>
  z.enum(Object.keys(DOCUMENT_KINDS) as [string, ...string[]], 'choose how you verified the patron'),
);
const CHOOSE_CONFIRMATION = 'choose who confirms it: a second staff member, or the patron by email';
const confirmationSchema = z.lazy(() => z.enum(DESK_CHECK_VIAS, CHOOSE_CONFIRMATION));

/** The role recorded for a desk verification (R4): circulation staff work the desk. */
const deskRole = (who: Principal): StaffRole =>
  who.groups.includes('circulation') ? 'circulation' : (who.groups[0] as StaffRole);

/** The request form's fields plus how staff verified the person; every problem named at once. */
function parseDeskRequest(body: Record<string, unknown>): {
  input: RequestInput;
  documentKind: string;
  confirmation: DeskCheckVia | undefined;
} {
  const { documentKind, confirmation, ...rest } = body;
  const issues: { path: string; message: string }[] = [];
  const doc = documentKindSchema.safeParse(documentKind);
  if (!doc.success) issues.push({ path: 'documentKind', message: 'choose how you verified the patron' });
  const via = confirmation === undefined ? undefined : confirmationSchema.safeParse(confirmation);
  if (via && !via.success) issues.push({ path: 'confirmation', message: CHOOSE_CONFIRMATION });
  let input: RequestInput | undefined;
  try {
    input = validate(requestInputSchema, rest);
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    issues.push(...e.issues);
  }
  if (input && !DESK_KINDS.includes(input.kind))
    issues.push({ path: 'kind', message: 'only a patron’s own requests, or a guardian’s, can be made at the desk' });
  // R4, R6: a report, an export or a contact change says who confirms it besides the staff member.
  if (input && needsDeskCheck(input) && via === undefined)
    issues.push({ path: 'confirmation', message: CHOOSE_CONFIRMATION });
  if (!input || !doc.success || issues.length) throw new InvalidInputError('the request is invalid', issues);
  return { input, documentKind: doc.data, confirmation: needsDeskCheck(input) ? via?.data : undefined };
}

/**
 * A request made at the desk on a patron's behalf. Staff verified the person there (R4: only how, by
 * whom, when), so the request starts verified and its workflow's verification step answers at once.
 */
export async function startDeskRequest(
  deps: Pick<Deps, 'requests' | 'audit' | 'workflow' | 'clock' | 'policy' | 'records' | 'people'>,
  who: Principal,
  body: Record<string, unknown>,
): Promise<{ requestId: string; kind: RequestKind; status: 'received'; statusUrl: string }> {
  await requireAction(deps, who, 'desk-request');
  const { input, documentKind, confirmation } = parseDeskRequest(body);
  // The person at the desk is the one verified: the patron, or for a guardian's request the guardian.
  const identity =
    // An outreach opt-out is not a desk kind (refused above).
    'cardNumber' in input && input.kind !== 'outreach-opt-out'
      ? { cardNumber: input.cardNumber, lastName: input.lastName }
      : input.kind === 'guardian-access'
        ? input.guardian
        : undefined;
  if (!identity)
    throw new InvalidInputError('the request is invalid', [{ path: 'kind', message: 'not a desk request' }]);
  const prefix = input.kind === 'guardian-access' ? 'guardian.' : '';
  // Staff are signed in and checked the person's card: a mismatch is said plainly, unlike the public form.
  const patron = await findPatron(deps, identity);
  if (!patron)
    throw new InvalidInputError('no patron has this card number and last name', [
      { path: `${prefix}cardNumber`, message: 'no patron has this card number and last name' },
      { path: `${prefix}lastName`, message: 'no patron has this card number and last name' },
    ]);
  // R7: the patron confirms only through an email that is their own, on their record; without one, a second staff member.
  if (confirmation === 'patron-email' && !(await ownAddressee(deps, patron)).email)
    throw new InvalidInputError('the request is invalid', [
      {
        path: 'confirmation',
        message: 'this patron has no email of their own on file: a second staff member must approve',
      },
    ]);
  const deskCheck: DeskCheck | undefined = confirmation
    ? { via: confirmation, firstSub: who.sub, firstStaffId: who.email }
    : undefined;

  const now = deps.clock();
  const { record: submitted, statusKey } = newRequestRecord(input, now, deps.policy);
  // R4: who verified, in which role, when and by what kind of document; never the document.
  const verification: Verification = {
    method: 'in-person',
    verifiedAt: now.toISOString(),
    verifiedByRole: deskRole(who),
    verifiedByStaffId: who.email,
    documentKind,
  };
  // Whoever entered the request never approves it (separation of duties, as for court orders).
  const record: RequestRecord = {
    ...submitted,
    verification,
    submittedByStaff: who.email,
    ...(deskCheck ? { deskCheck } : {}),
  };
  const { requestId } = await startRequest(deps, {
    record,
    events: [
      {
        eventId: 'received',
        type: 'request-received',
        actor: staffActor(who),
        data: { kind: input.kind, channel: 'desk', ...(confirmation ? { confirmation } : {}) },
      },
      {
        eventId: 'verified:desk',
        type: 'identity-verified',
        actor: { kind: 'staff', id: who.email, role: verification.verifiedByRole },
        data: { method: 'in-person', documentKind, sub: who.sub },
      },
    ],
  });
  // The status address can be printed for the patron: it shows the status, never their details.
  return { requestId, kind: input.kind, status: 'received', statusUrl: statusUrlOf(requestId, statusKey) };
}
