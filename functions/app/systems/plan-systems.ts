import type { Category } from '../../domain/categories.ts';
import { CATEGORIES } from '../../domain/categories.ts';
import { IntegrityError } from '../../domain/errors.ts';
import type { RequestRecord } from '../../domain/request.ts';
import { systemsFor, type SystemConfig } from '../../domain/systems.ts';
import type { Deps } from '../../lib/deps.ts';

/** One system a request reaches: ids and a flag only (R5), for the workflow's Map state. */
export interface SystemItem {
  systemId: string;
  manual: boolean;
}

/** The categories a request covers (R9, R10, R14, R12: what is not asked for is never read). */
export async function categoriesOf(deps: Pick<Deps, 'policy' | 'orders'>, r: RequestRecord): Promise<Category[]> {
  switch (r.kind) {
    case 'correction':
      // R6: a username is a credential; a system holding logins is reached for it too.
      return r.changes?.username !== undefined ? ['personal', 'credentials'] : ['personal'];
    case 'guardian-access':
      return [...(r.consent?.categories ?? deps.policy.minors.guardianCategories)];
    case 'third-party':
      return [...(r.thirdParty?.categories ?? [])];
    case 'court-order': {
      if (!r.orderId) throw new IntegrityError('a court-order request without its order');
      return [...(await deps.orders.get(r.orderId)).categories];
    }
    default:
      return [...CATEGORIES];
  }
}

/**
 * R19: the systems a request reaches: every system holding a category it covers (for an outreach
 * opt-out, every system used for outreach, R20), a manual one only where the systems file gives an
 * instruction for the kind. A pending result is stored for each
 * before any is reached, so the request cannot complete while one has not answered.
 */
export async function planSystems(
  deps: Pick<Deps, 'requests' | 'systems' | 'systemResults' | 'policy' | 'orders'>,
  requestId: string,
): Promise<{ items: SystemItem[] }> {
  const request = await deps.requests.get(requestId);
  const covered = await categoriesOf(deps, request);
  const reached = systemsFor(deps.systems, request.kind).filter((s) =>
    request.kind === 'outreach-opt-out' ? usedForOutreach(s) : holdsAny(s, covered),
  );
  await deps.systemResults.ensure(
    requestId,
    reached.map((s) => s.id),
  );
  return { items: reached.map((s) => ({ systemId: s.id, manual: s.type === 'manual' })) };
}

/**
 * R20: an opt-out reaches every system marked `outreach`, and the built-in records table always:
 * it keeps the library's own do-not-contact flag (the one a deletion sets too, R8), so a library
 * that configured no outreach system still records the opt-out somewhere true.
 */
const usedForOutreach = (s: SystemConfig): boolean => s.outreach || s.type === 'records-table';

const holdsAny = (s: SystemConfig, covered: readonly Category[]): boolean =>
  s.categories.some((c) => covered.includes(c));
