import { IntegrityError } from '../domain/errors.ts';
import { isTerminal } from '../domain/request.ts';
import type { Deps } from '../lib/deps.ts';
import { courtOrderClosedEmail } from '../render/court-order-emails.ts';

/**
 * R12: a court order that was rejected (with the approver's reason) or that nobody decided in
 * time closes here, and the counsel who uploaded it is told. Never the patron: a patron learns
 * of an order only through a disclosure notice the order allows (R13a). The legal hold stays
 * until counsel releases it or it lapses (R13). Answers the status it closed with.
 */
export async function closeCourtOrder(
  deps: Deps,
  requestId: string,
  outcome: 'rejected' | 'expired',
): Promise<'denied' | 'expired'> {
  const request = await deps.requests.get(requestId);
  if (request.kind !== 'court-order' || !request.orderId) throw new IntegrityError('not a court order');
  const status = outcome === 'rejected' ? 'denied' : 'expired';
  if (!isTerminal(request.status)) {
    await deps.requests.update(requestId, (r) =>
      isTerminal(r.status)
        ? undefined
        : {
            ...r,
            status,
            ...(outcome === 'rejected'
              ? {
                  denial: {
                    code: 'rejected' as const,
                    at: deps.clock().toISOString(),
                    ...(r.denial?.reason ? { reason: r.denial.reason } : {}),
                  },
                }
              : {}),
          },
    );
    await deps.tokens.revokeAll(requestId);
  }
  const events = await deps.audit.list(requestId);
  if (events.some((e) => e.eventId === 'counsel-told')) return status;
  const current = await deps.requests.get(requestId);
  const order = await deps.orders.get(request.orderId);
  const library = await deps.records.library();
  const rejection = (current.decisions ?? []).find((d) => d.decision === 'reject');
  await deps.mailer.send({
    to: [order.uploadedBy],
    ...courtOrderClosedEmail({
      library: library.name,
      order,
      requestId,
      outcome,
      ...(current.denial?.reason ? { reason: current.denial.reason } : {}),
      ...(rejection ? { decidedBy: `${rejection.byStaffId} (${rejection.role})` } : {}),
    }),
  });
  await deps.audit.append(requestId, {
    eventId: `status:${status}`,
    type: outcome === 'rejected' ? 'request-denied' : 'request-expired',
    actor: { kind: 'system' },
    data: { code: outcome },
  });
  await deps.audit.append(requestId, {
    eventId: 'counsel-told',
    type: 'counsel-told',
    actor: { kind: 'system' },
    data: { outcome, to: order.uploadedBy },
  });
  return status;
}
