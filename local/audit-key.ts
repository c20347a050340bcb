import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AuditKey } from '../functions/domain/audit.ts';

/** The key file's name in the audit folder (the data folder, or a test runtime's temporary one). */
export const AUDIT_KEY_FILE = 'audit-key';

const KEY_HEX = /^[0-9a-f]{64}$/;

/**
 * R17: the audit chain's key on this machine, HMAC-SHA-256 as the KMS HMAC key computes it in AWS.
 * Its own key file, not derived from the data folder's other secret: the verifier needs this key
 * alone, and handing it over opens nothing else.
 */
export class LocalAuditKey implements AuditKey {
  constructor(private readonly key: Buffer) {}

  mac(message: string): Promise<string> {
    return Promise.resolve(createHmac('sha256', this.key).update(message).digest('hex'));
  }

  async verify(message: string, mac: string): Promise<boolean> {
    if (!KEY_HEX.test(mac)) return false;
    const expected = Buffer.from(await this.mac(message), 'hex');
    return timingSafeEqual(expected, Buffer.from(mac, 'hex'));
  }
}

/** A key file that is not 32 bytes in hex: refused, without saying what it holds. */
export class AuditKeyFileError extends Error {
  override name = 'AuditKeyFileError';
}

/**
 * Reads the key file, or creates it once (owner read/write only, `wx`: two starts at the same
 * moment cannot both write one). Never logged. `create: false` (the verifier) refuses a missing
 * file instead: a fresh key would only say every chain is broken.
 */
export async function loadAuditKeyFile(path: string, opts: { create: boolean }): Promise<LocalAuditKey> {
  for (;;) {
    try {
      const text = (await readFile(path, 'utf8')).trim();
      if (!KEY_HEX.test(text)) throw new AuditKeyFileError(`the audit key file ${path} is not a 256-bit hex key`);
      return new LocalAuditKey(Buffer.from(text, 'hex'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || !opts.create) throw e;
    }
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    try {
      await writeFile(path, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}
