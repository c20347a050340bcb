import { GenerateMacCommand, KMSClient } from '@aws-sdk/client-kms';
import { fingerprintMessage, type Fingerprinter, type FingerprintKind } from '../domain/erasure-memory.ts';
import { IntegrityError, TransientError } from '../domain/errors.ts';
import { isTransientAwsError } from './aws-errors.ts';

/**
 * R8: erasure fingerprints in AWS, keyed by a KMS HMAC key (HMAC_256, GENERATE_VERIFY_MAC) that
 * never leaves KMS: whoever reads the table cannot test a card number against the memory without
 * `kms:GenerateMac` on this key, which only the deletion function and the import are given.
 */
export class KmsFingerprinter implements Fingerprinter {
  private readonly client: KMSClient;

  constructor(
    private readonly keyId: string,
    opts: { region?: string; client?: KMSClient } = {},
  ) {
    this.client = opts.client ?? new KMSClient({ region: opts.region ?? process.env.AWS_REGION ?? 'us-east-1' });
  }

  async fingerprint(kind: FingerprintKind, value: string): Promise<string> {
    let mac: Uint8Array | undefined;
    try {
      const res = await this.client.send(
        new GenerateMacCommand({
          KeyId: this.keyId,
          MacAlgorithm: 'HMAC_SHA_256',
          Message: new TextEncoder().encode(fingerprintMessage(kind, value)),
        }),
      );
      mac = res.Mac;
    } catch (e) {
      // The error names KMS's reason only: the message it keyed is an identifier (R5).
      if (isTransientAwsError(e) || e instanceof TransientError)
        throw new TransientError(`KMS GenerateMac failed: ${(e as Error).name}`);
      throw new IntegrityError(`KMS GenerateMac refused: ${e instanceof Error ? e.name : 'unknown'}`);
    }
    if (!mac || mac.length !== 32) throw new IntegrityError('KMS GenerateMac returned no 256-bit MAC');
    return Buffer.from(mac).toString('hex');
  }
}
