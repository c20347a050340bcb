import { storedFields } from '../domain/tombstone.ts';
import type { Patron } from '../domain/dataset.ts';
import { isClockPaused } from '../domain/deadlines.ts';
import { isTerminal } from '../domain/request.ts';
import { daysLeft, effectiveDue, isOverdueNow } from '../domain/staff-desk.ts';
import { actionsOf, maySeeCourtOrders, type StaffRole } from '../domain/staff.ts';
import { isSamePerson } from '../domain/desk-checks.ts';
import { withoutHoldTraces } from '../domain/staff-views.ts';
import { tokenState } from '../domain/tokens.ts';
import type { Principal } from '../lib/auth.ts';
import type { Deps } from '../lib/deps.ts';
import { readableRequest, recordStaffRead } from './staff-read.ts';
import { staffSystems } from './systems/systems-view.ts';

/** R1: the roles that read every request's patron details; anyone else only while holding a task on it. */
const PATRON_DETAIL_ROLES: readonly StaffRole[] = ['privacy-officer', 'director'];

const personOf = (p: Patron | undefined) =>
  p
    ? { patronId: p.id, name: `${p.firstName} ${p.lastName}`, cardNumber: p.cardNumber, emailOnFile: Boolean(p.email) }
    : undefined;

/**
 * One request as the staff desk shows it: the patron's details its handling needs, the decisions,
 * the steps still waiting and the audit trail. The read is itself on the trail first (R1, R17).
 */
export async function staffRequestDetail(
  deps: Pick<Deps, 'requests' | 'records' | 'people' | 'audit' | 'tokens' | 'clock' | 'systemResults' | 'systems'>,
  who: Principal,
  requestId: string,
) {
  const r = storedFields(await readableRequest(deps, who, requestId));
  const tokens = await deps.tokens.listOfRequest(requestId);
  const now = deps.clock();
  // R1: patron details to the privacy officer and the director, and to a staff member only while
  // they hold a task on this request (a usable link sent to them: a system task, an approval).
  const holdsTask = tokens.some(
    (t) => t.recipient.kind === 'staff' && t.recipient.id === who.email && tokenState(t, now) === 'usable',
  );
  const mayReadPatron = who.groups.some((g) => PATRON_DETAIL_ROLES.includes(g)) || holdsTask;
  const [patron, requester] = mayReadPatron
    ? await Promise.all([
        r.patronId ? deps.people.getPatron(r.patronId) : undefined,
        r.requesterPatronId ? deps.people.getPatron(r.requesterPatronId) : undefined,
      ])
    : [undefined, undefined];
  const fields = [
    ...(patron ? ['patron.name', 'patron.cardNumber'] : []),
    ...(requester ? ['requester.name', 'requester.cardNumber'] : []),
    ...(mayReadPatron && r.thirdParty?.name !== undefined ? ['thirdParty.contact', 'thirdParty.purpose'] : []),
  ];
  await recordStaffRead(deps, requestId, who, 'staff-request-page', fields);
  // R17: checked under the audit key; the daily head copies are the verifier's (npm run audit:verify).
  const [{ events, ...chain }, systems] = await Promise.all([
    deps.audit.check(requestId),
    staffSystems(deps, requestId),
  ]);

  // The steps still waiting: one line per step and party, never a link or its secret.
  const pending = new Map<string, { purpose: string; step: string; waitingOn: string; expiresAt: string }>();
  for (const t of tokens) {
    if (t.purpose === 'download' || tokenState(t, now) !== 'usable') continue;
    const waitingOn = t.recipient.kind === 'staff' ? (t.recipient.role ?? 'staff') : t.recipient.kind;
    const key = `${t.purpose}|${t.step}|${waitingOn}`;
    const prev = pending.get(key);
    if (!prev || prev.expiresAt < t.expiresAt)
      pending.set(key, { purpose: t.purpose, step: t.step, waitingOn, expiresAt: t.expiresAt });
  }

  const due = effectiveDue(r, now);
  // R1, R12: what this reader's role may do here, so the page offers only that.
  const actions = actionsOf(who.groups);
  const open = !isTerminal(r.status) && r.matched !== false;
  const check = r.deskCheck;
  const awaitsSecond = open && check?.via === 'second-staff' && !check.secondSub;
  const detail = {
    requestId: r.requestId,
    kind: r.kind,
    status: r.status,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    dueAt: due.toISOString(),
    daysLeft: daysLeft(r, now),
    overdue: isOverdueNow(r, now),
    paused: !isTerminal(r.status) && isClockPaused(r),
    ...(r.closedAt ? { closedAt: r.closedAt } : {}),
    matched: r.matched ?? null,
    ...(r.submittedByStaff ? { submittedByStaff: r.submittedByStaff } : {}),
    ...(patron ? { patron: personOf(patron) } : {}),
    ...(requester ? { requester: personOf(requester) } : {}),
    ...(r.thirdParty && mayReadPatron ? { thirdParty: r.thirdParty } : {}),
    // R1: the details are there, but not for this reader: the page says so rather than showing nothing.
    patronDetails: mayReadPatron ? 'shown' : 'not-assigned',
    // R6: which fields a correction asks to change; the values are shown to the approver only.
    ...(r.changes ? { changes: Object.keys(r.changes) } : {}),
    ...(r.verification ? { verification: r.verification } : {}),
    decisions: r.decisions ?? [],
    ...(r.consent ? { consent: r.consent } : {}),
    ...(r.guardianLink ? { guardianLink: r.guardianLink } : {}),
    ...(r.ageBand ? { ageBand: r.ageBand } : {}),
    ...(r.guardianLinkCheck ? { guardianLinkCheck: r.guardianLinkCheck } : {}),
    ...(r.denial ? { denial: r.denial } : {}),
    ...(r.outcome ? { outcome: r.outcome } : {}),
    ...(r.failure ? { failure: r.failure } : {}),
    ...(r.orderId ? { orderId: r.orderId } : {}),
    ...(r.extension ? { extension: r.extension } : {}),
    canExtend: actions.includes('extend-deadline') && !r.extension && open,
    // R4, R6: who made a desk request and who approved it second, or that the patron is asked by email.
    ...(check
      ? {
          deskCheck: {
            via: check.via,
            madeBy: check.firstStaffId,
            ...(check.secondStaffId ? { approvedBy: check.secondStaffId, approvedAt: check.approvedAt } : {}),
          },
        }
      : {}),
    canApprove: actions.includes('second-approval') && awaitsSecond && !(check && isSamePerson(check, who)),
    // R1, R17: a printed file waits to be handed over at the desk, or who handed it over, when, against which ID.
    ...(r.handOver ? { handOver: r.handOver } : {}),
    canHandOver: actions.includes('hand-over') && open && r.handOver?.status === 'waiting',
    actions,
    pending: [...pending.values()],
    // R19: what each library system answered, who answered a manual one, and a could-not's reason.
    systems,
    history: events.filter((e) => e.type !== 'staff-read').map((e) => ({ at: e.at, type: e.type, actor: e.actor })),
    audit: { chain, events },
  };
  // R13a: a role that may not see court orders reads a held deletion as any other waiting one.
  return maySeeCourtOrders(who.groups) ? detail : withoutHoldTraces(detail);
}
