import { systemName } from '../../domain/systems.ts';
import { publicResult, type PublicSystemResult, type SystemResult } from '../../domain/system-result.ts';
import type { Deps } from '../../lib/deps.ts';

/** One system as a requester sees it (CONTRACT.md: `{ system: name, result }`). */
export interface PublicSystemView {
  system: string;
  result: PublicSystemResult;
}

/** R19: what each system answered for a request, by the system's name; `waiting` until it has. */
export async function publicSystems(
  deps: Pick<Deps, 'systemResults' | 'systems'>,
  requestId: string,
): Promise<PublicSystemView[]> {
  return (await deps.systemResults.list(requestId)).map((r) => ({ system: nameOf(deps, r), result: publicResult(r) }));
}

/**
 * The same for staff: which system, what it answered and who answered it; a could-not's reason is
 * for the staff desk (R19: the privacy officer reads it), never a blocker's detail (R13a).
 */
export async function staffSystems(deps: Pick<Deps, 'systemResults' | 'systems'>, requestId: string) {
  return (await deps.systemResults.list(requestId)).map((r) => ({
    systemId: r.systemId,
    system: nameOf(deps, r),
    result: publicResult(r),
    ...(r.answeredBy && r.answeredBy !== 'system' ? { answeredBy: r.answeredBy } : {}),
    ...(r.answeredAt ? { answeredAt: r.answeredAt } : {}),
    ...(r.state === 'could-not' && r.reason ? { reason: r.reason } : {}),
  }));
}

const nameOf = (deps: Pick<Deps, 'systems'>, r: SystemResult): string => systemName(deps.systems, r.systemId);
