import type { AuditEventInput } from '../domain/audit.ts';
import { ConflictError } from '../domain/errors.ts';
import type { RequestKind, RequestRecord } from '../domain/request.ts';
import type { Deps } from '../lib/deps.ts';
import { WORKFLOW_OF_KIND, type WorkflowName } from '../../workflows/index.ts';

/** A kind of request whose workflow does not exist yet: refused honestly, before anything is stored. */
export class KindNotAvailableError extends Error {
  override name = 'KindNotAvailableError';
}

/** The workflow for a kind, or a typed refusal. */
export function workflowFor(kind: RequestKind): WorkflowName {
  const workflow = WORKFLOW_OF_KIND[kind];
  if (!workflow) throw new KindNotAvailableError(`no workflow for ${kind}`);
  return workflow;
}

export interface RequestStart {
  /** The new record (from `newRequestRecord`). */
  record: RequestRecord;
  /** What the trail records of its arrival, in order; appended idempotently by event id (R17). */
  events: readonly AuditEventInput[];
  /** A retried start finds its record already stored and finishes the same steps. */
  retry?: boolean;
  /** A step that must happen once the request and its trail exist, before its workflow can run. */
  beforeWorkflow?: () => Promise<unknown>;
}

/**
 * Starting a request, the same for the public form, the desk and a court order: store the record,
 * append its audit events, start its workflow and keep the execution id. The workflow input carries
 * the request id alone (R5), and the id names the execution, so a retried start starts nothing twice.
 */
export async function startRequest(
  deps: Pick<Deps, 'requests' | 'audit' | 'workflow'>,
  start: RequestStart,
): Promise<{ requestId: string; executionId: string }> {
  const { requestId, kind } = start.record;
  const workflow = workflowFor(kind);
  try {
    await deps.requests.create(start.record);
  } catch (e) {
    if (!(start.retry && e instanceof ConflictError)) throw e;
  }
  for (const event of start.events) await deps.audit.append(requestId, event);
  await start.beforeWorkflow?.();
  const { executionId } = await deps.workflow.start(workflow, requestId, { requestId });
  await deps.requests.update(requestId, (r) => (r.executionId ? undefined : { ...r, executionId }));
  return { requestId, executionId };
}
