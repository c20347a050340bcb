import * as z from 'zod';

/**
 * The environment every function reads, validated once at cold start. The CDK app sets these on
 * each function; the local runtime builds the same object directly.
 */
export const envSchema = z.object({
  REQUESTS_TABLE: z.string().min(1),
  RECORDS_TABLE: z.string().min(1),
  /** S3 bucket (AWS) for reports and exports. */
  FILES_BUCKET: z.string().min(1).optional(),
  /** S3 bucket (AWS) for court-order documents (R12): versioned, KMS-encrypted. */
  DOCUMENTS_BUCKET: z.string().min(1).optional(),
  /** The verified SES identity mail is sent from. */
  MAIL_FROM: z.email(),
  /** Origin used in links inside emails, e.g. https://privacy.library.example */
  BASE_URL: z.url(),
  /** JSON object: workflow name → state machine ARN. */
  STATE_MACHINES: z.string().optional(),
  /** R8: the KMS HMAC key that fingerprints erased people (only functions that remember erasures). */
  FINGERPRINT_KEY_ID: z.string().min(1).optional(),
  /** R19: the systems file (CONTRACT.md) as JSON; unset: the built-in records table alone. */
  SYSTEMS_JSON: z.string().optional(),
  /** Optional policy override (JSON); defaults to the built-in policy. */
  POLICY_JSON: z.string().optional(),
  DYNAMODB_ENDPOINT: z.url().optional(),
  SES_ENDPOINT: z.url().optional(),
});

export type Env = z.infer<typeof envSchema>;
