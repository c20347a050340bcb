import { randomBytes } from 'node:crypto';
import { LocalAuditKey } from '../../local/audit-key.ts';

/** R17: an audit key for a store built by hand in a test (a fresh random key each time). */
export const testAuditKey = (): LocalAuditKey => new LocalAuditKey(randomBytes(32));
