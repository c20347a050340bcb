import { brotliCompressSync, brotliDecompressSync } from 'node:zlib';
import * as z from '../domain/zod.ts';
import { InvalidInputError } from '../domain/errors.ts';

/**
 * The environment every function reads, validated once at cold start. The CDK app sets these on
 * each function; the local runtime builds the same object directly. Built when first parsed (the
 * first invocation), not at import: a cold start's init runs every module's top level.
 */
export const envSchema = z.lazy(() =>
  z.object({
    REQUESTS_TABLE: z.string().check(z.minLength(1)),
    RECORDS_TABLE: z.string().check(z.minLength(1)),
    /** R17: the audit table (append only: no function may update or delete in it). */
    AUDIT_TABLE: z.optional(z.string().check(z.minLength(1))),
    /** R17: the KMS HMAC key the audit chain is made with. */
    AUDIT_KEY_ID: z.optional(z.string().check(z.minLength(1))),
    /** R17: the Object Lock bucket chain heads are copied to (the daily copy only). */
    AUDIT_HEADS_BUCKET: z.optional(z.string().check(z.minLength(1))),
    /** S3 bucket (AWS) for reports and exports. */
    FILES_BUCKET: z.optional(z.string().check(z.minLength(1))),
    /** S3 bucket (AWS) for court-order documents (R12): versioned, KMS-encrypted. */
    DOCUMENTS_BUCKET: z.optional(z.string().check(z.minLength(1))),
    /** The verified SES identity mail is sent from. */
    MAIL_FROM: z.email(),
    /** Origin used in links inside emails, e.g. https://privacy.library.example */
    BASE_URL: z.url(),
    /** JSON object: workflow name → state machine ARN. */
    STATE_MACHINES: z.optional(z.string()),
    /** R8: the KMS HMAC key that fingerprints erased people (only functions that remember erasures). */
    FINGERPRINT_KEY_ID: z.optional(z.string().check(z.minLength(1))),
    /**
     * R19: the systems file (CONTRACT.md), as JSON or as `systemsJsonValue` packs it (the CDK app);
     * unset: the built-in records table alone.
     */
    SYSTEMS_JSON: z.optional(z.string()),
    /** Optional policy override (JSON); defaults to the built-in policy. */
    POLICY_JSON: z.optional(z.string()),
    /**
     * The functions behind signed-in routes: CloudFront's origin secret, checked on every request
     * (./origin-header.ts). Unset in the local runtime, which has no CloudFront in front.
     */
    ORIGIN_VERIFY_SECRET: z.optional(z.string().check(z.minLength(32))),
    DYNAMODB_ENDPOINT: z.optional(z.url()),
    SES_ENDPOINT: z.optional(z.url()),
  }),
);

export type Env = z.infer<typeof envSchema>;

/**
 * Lambda allows 4 KB for all of a function's environment variables together, and a systems file
 * with a few manual systems' instructions is larger than that as JSON. So the CDK app sets
 * SYSTEMS_JSON to the file compressed (Brotli, base64, behind this prefix); a value that is plain
 * JSON (a test, a hand-set variable) is read as it is.
 */
export const PACKED_SYSTEMS_PREFIX = 'br64:';

/** The value the CDK app gives SYSTEMS_JSON for a systems file's text (validated before). */
export const systemsJsonValue = (json: string): string =>
  PACKED_SYSTEMS_PREFIX + brotliCompressSync(Buffer.from(JSON.stringify(JSON.parse(json)), 'utf8')).toString('base64');

/** The systems file's JSON text from SYSTEMS_JSON, packed or not. */
export function systemsJsonText(value: string): string {
  if (!value.startsWith(PACKED_SYSTEMS_PREFIX)) return value;
  try {
    return brotliDecompressSync(Buffer.from(value.slice(PACKED_SYSTEMS_PREFIX.length), 'base64')).toString('utf8');
  } catch {
    throw new InvalidInputError('SYSTEMS_JSON is not a packed systems file');
  }
}
