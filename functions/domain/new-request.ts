import { randomUUID } from 'node:crypto';
import type { Policy } from './policy.ts';
import { dueDate, type RequestRecord } from './request.ts';
import type { RequestInput } from './request-input.ts';
import { hashSecret, newSecret } from './tokens.ts';

/**
 * A court order counsel submitted (R12): its request id was reserved on the order, so a retried submit
 * makes the same request; nobody is given its status key (counsel follows the order signed in).
 */
export interface CourtOrderRequestInput {
  kind: 'court-order';
  patronId: string;
  orderId: string;
  submittedBy: string;
}

/**
 * A new request as submitted, from the public form, the desk or counsel: its due date from the policy (R15),
 * a status key stored only as a hash, and what the requester typed kept in the encrypted table
 * only until the workflow's steps read it (R5, R16). The workflow input carries the id alone.
 */
export function newRequestRecord(
  input: RequestInput | CourtOrderRequestInput,
  now: Date,
  policy: Policy,
  requestId: string = randomUUID(),
): { record: RequestRecord; statusKey: string } {
  const statusKey = newSecret();
  const common = {
    requestId,
    status: 'received' as const,
    version: 0,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    dueAt: dueDate(now, policy.deadlines.byKind[input.kind] ?? policy.deadlines.defaultDays),
    statusKeyHash: hashSecret(statusKey),
  };
  const record = recordOfKind(input, common);
  return { record, statusKey };
}

/** The new record of the input's kind, with what that kind's requester typed. */
function recordOfKind(input: RequestInput | CourtOrderRequestInput, common: NewRequestCommon): RequestRecord {
  switch (input.kind) {
    // R12: the named patron is known by id from the order's metadata; counsel entered it, so never approves it.
    case 'court-order':
      return {
        ...common,
        kind: input.kind,
        patronId: input.patronId,
        matched: true,
        orderId: input.orderId,
        submittedByStaff: input.submittedBy,
      };
    // R11: the guardian verifies as themselves; the child is named. Both erased once matched (R5).
    case 'guardian-access':
      return { ...common, kind: input.kind, submitted: input.guardian, submittedChild: input.child };
    // R14: the third party's contact and purpose stay until the request closes (R16).
    case 'third-party':
      return {
        ...common,
        kind: input.kind,
        submitted: input.patron,
        thirdParty: {
          name: input.requester.name,
          email: input.requester.email,
          ...(input.requester.organization ? { organization: input.requester.organization } : {}),
          purpose: input.purpose,
          categories: [...new Set(input.categories)],
        },
      };
    // R6: the requested values wait until applied or refused, then go.
    case 'correction':
      return { ...common, kind: input.kind, submitted: identityOf(input), changes: input.changes };
    // R20: a card and last name, or a donor's email; either is erased by the match step (R5).
    case 'outreach-opt-out':
      return input.email !== undefined
        ? { ...common, kind: input.kind, submittedEmail: input.email }
        : {
            ...common,
            kind: input.kind,
            submitted: { cardNumber: input.cardNumber ?? '', lastName: input.lastName ?? '' },
          };
    default:
      return { ...common, kind: input.kind, submitted: identityOf(input) };
  }
}

type NewRequestCommon = Omit<RequestRecord, 'kind'>;

/** Kept only until the match step reads it (R5). */
const identityOf = (input: { cardNumber: string; lastName: string }) => ({
  cardNumber: input.cardNumber,
  lastName: input.lastName,
});
