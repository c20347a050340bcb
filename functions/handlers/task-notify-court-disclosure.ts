import * as z from '../domain/zod.ts';
import { tellPatronOfDisclosure } from '../app/court-order-notice.ts';
import { IntegrityError } from '../domain/errors.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';

const input = z.lazy(() => z.strictObject({ requestId: z.uuid() }));

/**
 * R13a: the patron is told of the disclosure, at the email on file; staff are asked to tell a
 * patron who has none. Runs only when the order allows notice, and checks the order again itself:
 * a nondisclosure order never reaches the patron's mailbox whatever the workflow says, until its
 * nondisclosure period has ended (app/court-order-notice.ts).
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'notify-court-disclosure', input, async ({ requestId }) => {
    const request = await deps.requests.get(requestId);
    if (request.kind !== 'court-order' || !request.orderId) throw new IntegrityError('not a court order');
    const order = await deps.orders.get(request.orderId);
    return tellPatronOfDisclosure(deps, requestId, order, 'disclosure');
  });

export const handler = lambdaEntry(createHandler);
