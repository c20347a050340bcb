import { deleteExpiredOrderDocuments } from '../app/court-order-documents.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { scheduledHandler } from '../lib/handler.ts';

/**
 * Scheduled daily (EventBridge in AWS, a timer locally). R16: deletes the court-order documents whose
 * retention period has ended, never while the order's legal hold is active (app/court-order-documents.ts).
 */
export const createHandler = (deps: Deps) => scheduledHandler(deps, () => deleteExpiredOrderDocuments(deps));

export const handler = lambdaEntry(createHandler);
