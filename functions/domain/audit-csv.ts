import { canonicalJson } from './canonical-json.ts';
import type { AuditEvent } from './audit.ts';
import { CSV_BOM, csvLine } from './export-format.ts';

/**
 * R17: an audit trail as CSV (RFC 4180, CRLF, UTF-8 with a byte-order mark), one row per event in
 * chain order, formula-injection safe (export-format.ts's cells). Every field the hash covers is
 * there, `data` and the actor as canonical JSON, so the chain can be re-verified from the file alone.
 * Audit events hold ids, enums and counts only (R5), so the file holds no patron personal data.
 */
export const AUDIT_CSV_COLUMNS = [
  'requestId',
  'seq',
  'at',
  'eventId',
  'type',
  'actorKind',
  'actorId',
  'actorRole',
  'data',
  'prevHash',
  'hash',
] as const;

export function auditCsvRow(e: AuditEvent): string {
  return csvLine([
    e.requestId,
    e.seq,
    e.at,
    e.eventId,
    e.type,
    e.actor.kind,
    e.actor.id ?? null,
    e.actor.role ?? null,
    canonicalJson(e.data ?? {}),
    e.prevHash,
    e.hash,
  ]);
}

/** The header line (with the byte-order mark) and one line per event. Several requests' trails may be concatenated. */
export function auditToCsv(events: readonly AuditEvent[]): string {
  let out = `${CSV_BOM}${csvLine(AUDIT_CSV_COLUMNS)}`;
  for (const e of events) out += auditCsvRow(e);
  return out;
}
