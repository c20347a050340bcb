import { createHash, randomBytes } from 'node:crypto';

/** 256 random bits, URL-safe: far above the 128-bit floor for link tokens. */
export const newSecret = (): string => randomBytes(32).toString('base64url');

/** Tokens are stored only as this hash; a leaked table never yields a working link. */
export const hashSecret = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');

/** Shape check before any lookup, so hostile path segments never reach the database. */
export const isWellFormedSecret = (s: string): boolean => /^[A-Za-z0-9_-]{32,64}$/.test(s);

export const TOKEN_PURPOSES = [
  'verify-identity',
  'verify-in-person',
  /** A staff decision on one workflow step (approve / reject). */
  'approve',
  /** R6: a new email address confirmed through itself. */
  'confirm-email',
  /** R6: a new phone number confirmed by circulation staff calling it (there is no SMS). */
  'confirm-phone',
  /** R10, R14: the data subject consents or declines (by email link, or recorded in person by staff). */
  'consent',
  /** R11, R4: desk staff record a guardian's link to a child's card after seeing documents they do not keep. */
  'guardian-link',
  /** R19: staff answer a manual system's task for one request: done, or could-not with a reason. */
  'system-task',
  /** R6: the old address undoes a replaced email (a GET shows the page; only a POST undoes). */
  'undo-email-change',
  'download',
] as const;
export type TokenPurpose = (typeof TOKEN_PURPOSES)[number];

/**
 * R12: purposes decided only by a signed-in staff member who is the link's recipient: the link opens
 * the signed-in approval page, and `/act/{token}` neither shows nor accepts them.
 */
export const isSignedInPurpose = (purpose: TokenPurpose): boolean => purpose === 'approve';

export interface TokenRecipient {
  kind: 'patron' | 'staff' | 'requester';
  /** Staff email, or the patron id; never the patron's email (R5). */
  id: string;
  role?: string;
}

export interface ActionToken {
  tokenHash: string;
  purpose: TokenPurpose;
  requestId: string;
  recipient: TokenRecipient;
  /** The workflow step this token answers, so one step's token never answers another. */
  step: string;
  decisions: string[];
  createdAt: string;
  expiresAt: string;
  maxAttempts: number;
  attempts: number;
  usedAt?: string;
  decision?: string;
  revokedAt?: string;
  /** Step Functions callback token, kept in the encrypted table only. */
  taskToken?: string;
  /** When a reminder with a fresh link goes out if nobody has acted. */
  remindAt?: string;
  /** For downloads: the stored file's key. */
  fileKey?: string;
  fileName?: string;
  contentType?: string;
  /** When the link went out by email: a retried step re-points it rather than send another (Faults). */
  emailedAt?: string;
  /**
   * Faults: when the answer given through the link was recorded (the request's and the trail's part);
   * from then on a retried step may hand it to itself (`TokenStore.repointAnswered`).
   */
  recordedAt?: string;
  /** Faults: when the answer given through the link reached its step. */
  handedOverAt?: string;
}

export type TokenState = 'usable' | 'used' | 'expired' | 'revoked' | 'locked';

/** R7: a token works once, until it expires, and only for a few bad attempts. */
export function tokenState(t: ActionToken, now: Date): TokenState {
  if (t.revokedAt) return 'revoked';
  if (t.usedAt) return 'used';
  if (t.attempts >= t.maxAttempts) return 'locked';
  if (now.getTime() >= Date.parse(t.expiresAt)) return 'expired';
  return 'usable';
}
