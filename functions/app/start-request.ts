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
 * append its audit events, start its workflow. The workflow input carries the request id alone (R5),
 * and the id names the execution, so a retried start starts nothing twice and the execution's id is
 * known from the request's (`executionIdOf`), never stored. Each fact is one conditional write and
 * nothing is read first: the public form answers only after these (issue 14, the load run). A start
 * that fails after the record is stored leaves it `received`: the sweep of unstarted requests
 * (app/unstarted-requests.ts) starts its workflow a few minutes later.
 */
export async function startRequest(
  deps: Pick<Deps, 'requests' | 'audit' | 'workflow'>,
  start: RequestStart,
): Promise<{ requestId: string; executionId: string }> {
  const { requestId, kind } = start.record;
  const workflow = workflowFor(kind);
  let created = true;
  try {
    await deps.requests.create(start.record);
  } catch (e) {
    if (!(start.retry && e instanceof ConflictError)) throw e;
    created = false;
  }
  // R17: a record this call created has an empty chain; a retried start's chain may have begun.
  if (created) await deps.audit.startChain(requestId, start.events);
  else for (const event of start.events) await deps.audit.append(requestId, event);
  await start.beforeWorkflow?.();
  const { executionId } = await deps.workflow.start(workflow, requestId, { requestId });
  return { requestId, executionId };
}
