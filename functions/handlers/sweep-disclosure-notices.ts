import { sendDueDisclosureNotices } from '../app/court-order-notice.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { scheduledHandler } from '../lib/handler.ts';

/**
 * Scheduled (EventBridge in AWS, a timer locally). R13a: once a court order's nondisclosure period has
 * ended, the patron is told of the disclosure made under it, once (app/court-order-notice.ts).
 */
export const createHandler = (deps: Deps) => scheduledHandler(deps, () => sendDueDisclosureNotices(deps));

export const handler = lambdaEntry(createHandler);
