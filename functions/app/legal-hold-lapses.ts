import type { Deps } from '../lib/deps.ts';
import { holdLapsedEmail } from '../render/court-order-emails.ts';

/**
 * R13: a hold set to lapse on a date stops holding by itself (adapters/dynamodb/legal-holds.ts
 * reads the date); this records each lapse in the order's audit trail once (R17) and tells the
 * counsel who uploaded the order. Reads the lapse index by time; never a scan.
 */
export async function recordLapsedHolds(deps: Deps): Promise<{ lapsed: number }> {
  let lapsed = 0;
  for (;;) {
    const due = await deps.orders.lapsedHolds(100);
    let progressed = false;
    for (const order of due) {
      const hold = order.holdId ? await deps.holds.get(order.patronId, order.holdId) : undefined;
      const stillActive = hold
        ? (await deps.holds.active(order.patronId)).some((h) => h.holdId === hold.holdId)
        : false;
      if (hold && !hold.releasedAt && !stillActive && order.requestId) {
        const events = await deps.audit.list(order.requestId);
        if (!events.some((e) => e.eventId === 'legal-hold-lapsed')) {
          const library = await deps.records.library();
          await deps.mailer.send({
            to: [order.uploadedBy],
            ...holdLapsedEmail({ library: library.name, order, requestId: order.requestId }),
          });
          await deps.audit.append(order.requestId, {
            eventId: 'legal-hold-lapsed',
            type: 'legal-hold-lapsed',
            actor: { kind: 'system' },
            data: { holdId: hold.holdId, lapsesOn: hold.lapsesOn ?? null },
          });
          lapsed++;
        }
      } else if (stillActive) {
        // Not yet (clock skew between the index and the hold): leave it for the next run.
        continue;
      }
      // Off the index: recorded, released meanwhile, or gone.
      await deps.orders.update(order.orderId, (o) =>
        o.holdLapseRecordedAt ? undefined : { ...o, holdLapseRecordedAt: deps.clock().toISOString() },
      );
      progressed = true;
    }
    if (!progressed) return { lapsed };
  }
}
