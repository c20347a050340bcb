import {
  chainMessage,
  GENESIS_HASH,
  verifyChain,
  type AuditEvent,
  type AuditEventInput,
  type AuditKey,
  type ChainCheck,
  type ChainHead,
} from '../../functions/domain/audit.ts';

/** A correctly chained trail from inputs, one minute apart, made under `key` as the store makes it. */
export async function chainOf(
  key: AuditKey,
  requestId: string,
  inputs: readonly AuditEventInput[],
  start = Date.parse('2026-03-01T09:00:00.000Z'),
): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  for (const [i, input] of inputs.entries()) {
    const unsigned = {
      requestId,
      seq: i + 1,
      at: new Date(start + i * 60_000).toISOString(),
      prevHash: out.at(-1)?.hash ?? GENESIS_HASH,
      eventId: input.eventId,
      type: input.type,
      actor: input.actor,
      data: input.data ?? {},
    };
    out.push({ ...unsigned, hash: await key.mac(chainMessage(unsigned)) });
  }
  return out;
}

/** Re-signs one event under `key` after a test changed it (what someone holding the key could do). */
export async function resign(key: AuditKey, e: AuditEvent): Promise<void> {
  e.hash = await key.mac(chainMessage(e));
}

/** verifyChain with each event's MAC checked under `key`, as AuditLog.check does. */
export async function checkUnder(key: AuditKey, events: readonly AuditEvent[], head?: ChainHead): Promise<ChainCheck> {
  const macValid = await Promise.all(events.map((e) => key.verify(chainMessage(e), e.hash)));
  return verifyChain(events, macValid, head);
}
