import { createHmac } from 'node:crypto';
import { fingerprintMessage, type Fingerprinter, type FingerprintKind } from '../functions/domain/erasure-memory.ts';

/**
 * R8: erasure fingerprints on this machine: HMAC-SHA-256 under a key derived from the data folder's
 * secret (`deriveKey(secret, 'erasure-memory')`), the local stand-in for the KMS HMAC key. The same
 * message as in AWS (domain/erasure-memory.ts); a different key, so the two memories never mix.
 */
export class LocalFingerprinter implements Fingerprinter {
  constructor(private readonly key: Buffer) {}

  fingerprint(kind: FingerprintKind, value: string): Promise<string> {
    return Promise.resolve(createHmac('sha256', this.key).update(fingerprintMessage(kind, value)).digest('hex'));
  }
}
