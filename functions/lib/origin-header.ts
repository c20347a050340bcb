import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The header CloudFront adds to every request it forwards to the API, carrying the origin secret.
 * The public routes check it in an authorizer (infra/functions/origin-verify.ts); a signed-in route
 * has the staff JWT authorizer instead (one authorizer per route), so its function checks it here:
 * every route, public or signed-in, is reachable only through CloudFront and its WAF.
 */
export const ORIGIN_VERIFY_HEADER = 'x-origin-verify';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** A minimum length: a missing or short secret must never let an empty header through. */
export const MIN_ORIGIN_SECRET_LENGTH = 32;

/**
 * A check of the header against the secret: digests compared in constant time. Without a usable
 * secret nothing passes. Headers arrive lower-cased (API Gateway payload 2.0, the local runtime).
 */
export function originCheck(secret: string | undefined) {
  const expected = secret && secret.length >= MIN_ORIGIN_SECRET_LENGTH ? digest(secret) : undefined;
  return (headers: Record<string, string | undefined> | undefined): boolean => {
    const presented = headers?.[ORIGIN_VERIFY_HEADER];
    if (!expected || typeof presented !== 'string') return false;
    return timingSafeEqual(digest(presented), expected);
  };
}
