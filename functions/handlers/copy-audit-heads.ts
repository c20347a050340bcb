import type { ChainHead } from '../domain/audit.ts';
import { copyChainHeads } from '../app/copy-audit-heads.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { scheduledHandler } from '../lib/handler.ts';

/**
 * Scheduled daily (EventBridge in AWS, a timer locally). R17: copies the heads of the audit chains
 * that grew to write-once storage (app/copy-audit-heads.ts).
 */
export const createHandler = (deps: Deps) => {
  const copied = new Map<string, ChainHead>();
  return scheduledHandler(deps, () => copyChainHeads(deps, copied));
};

export const handler = lambdaEntry(createHandler);
