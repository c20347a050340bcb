import { randomUUID } from 'node:crypto';
import type { Policy } from './policy.ts';
import { dueDate, type RequestRecord } from './request.ts';
import type { RequestInput } from './request-input.ts';
import { hashSecret, newSecret } from './tokens.ts';

/**
 * A new request as submitted, from the public form or the desk: its due date from the policy (R15),
 * a status key stored only as a hash, and what the requester typed kept in the encrypted table
 * only until the workflow's steps read it (R5, R16). The workflow input carries the id alone.
 */
export function newRequestRecord(
  input: RequestInput,
  now: Date,
  policy: Policy,
): { record: RequestRecord; statusKey: string } {
  const statusKey = newSecret();
  const record: RequestRecord = {
    requestId: randomUUID(),
    kind: input.kind,
    status: 'received',
    version: 0,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    dueAt: dueDate(now, policy.deadlines.byKind[input.kind] ?? policy.deadlines.defaultDays),
    statusKeyHash: hashSecret(statusKey),
    // Kept only until the match step reads it (R5).
    ...('cardNumber' in input ? { submitted: { cardNumber: input.cardNumber, lastName: input.lastName } } : {}),
    // R6: the requested values wait until applied or refused, then go.
    ...(input.kind === 'correction' ? { changes: input.changes } : {}),
    // R11: the guardian verifies as themselves; the child is named. Both erased once matched (R5).
    ...(input.kind === 'guardian-access' ? { submitted: input.guardian, submittedChild: input.child } : {}),
    // R14: the third party's contact and purpose stay until the request closes (R16).
    ...(input.kind === 'third-party'
      ? {
          submitted: input.patron,
          thirdParty: {
            name: input.requester.name,
            email: input.requester.email,
            ...(input.requester.organization ? { organization: input.requester.organization } : {}),
            purpose: input.purpose,
            categories: [...new Set(input.categories)],
          },
        }
      : {}),
  };
  return { record, statusKey };
}
