import { GenerateMacCommand, KMSClient, VerifyMacCommand } from '@aws-sdk/client-kms';
import type { AuditKey } from '../domain/audit.ts';
import { IntegrityError, TransientError } from '../domain/errors.ts';
import { isTransientAwsError } from './aws-errors.ts';

const MAC_HEX = /^[0-9a-f]{64}$/;

/** KMS's name for a MAC that does not verify: an answer, not a failure. */
const INVALID_MAC = 'KMSInvalidMacException';

/**
 * R17: the audit chain's key in AWS, a KMS HMAC key (HMAC_256, GENERATE_VERIFY_MAC) that never
 * leaves KMS: whoever can write the audit table still cannot make a link that verifies without
 * `kms:GenerateMac` on this key. One GenerateMac per appended event; VerifyMac for the verifier.
 */
export class KmsAuditKey implements AuditKey {
  private readonly client: KMSClient;

  constructor(
    private readonly keyId: string,
    opts: { region?: string; client?: KMSClient } = {},
  ) {
    this.client = opts.client ?? new KMSClient({ region: opts.region ?? process.env.AWS_REGION ?? 'us-east-1' });
  }

  async mac(message: string): Promise<string> {
    let mac: Uint8Array | undefined;
    try {
      const res = await this.client.send(
        new GenerateMacCommand({ KeyId: this.keyId, MacAlgorithm: 'HMAC_SHA_256', Message: encode(message) }),
      );
      mac = res.Mac;
    } catch (e) {
      throw kmsFailure('GenerateMac', e);
    }
    if (!mac || mac.length !== 32) throw new IntegrityError('KMS GenerateMac returned no 256-bit MAC');
    return Buffer.from(mac).toString('hex');
  }

  async verify(message: string, mac: string): Promise<boolean> {
    if (!MAC_HEX.test(mac)) return false;
    try {
      const res = await this.client.send(
        new VerifyMacCommand({
          KeyId: this.keyId,
          MacAlgorithm: 'HMAC_SHA_256',
          Message: encode(message),
          Mac: Buffer.from(mac, 'hex'),
        }),
      );
      return res.MacValid === true;
    } catch (e) {
      if (e instanceof Error && e.name === INVALID_MAC) return false;
      throw kmsFailure('VerifyMac', e);
    }
  }
}

const encode = (message: string): Uint8Array => new TextEncoder().encode(message);

/** Names KMS's reason only, never the message (R5). */
function kmsFailure(call: string, e: unknown): Error {
  if (isTransientAwsError(e) || e instanceof TransientError)
    return new TransientError(`KMS ${call} failed: ${(e as Error).name}`);
  return new IntegrityError(`KMS ${call} refused: ${e instanceof Error ? e.name : 'unknown'}`);
}
