/**
 * The header CloudFront adds to every request it forwards to the API, carrying the origin secret.
 * The public routes check it in an authorizer (infra/functions/origin-verify.ts); a signed-in route
 * has the staff JWT authorizer instead (one authorizer per route), so its function checks it here:
 * every route, public or signed-in, is reachable only through CloudFront and its WAF.
 */
export const ORIGIN_VERIFY_HEADER = 'x-origin-verify';

/** A minimum length: a missing or short secret must never let an empty header through. */
export const MIN_ORIGIN_SECRET_LENGTH = 32;

/**
 * A check of the header against the secret, in constant time. Without a usable secret nothing
 * passes. Headers arrive lower-cased (API Gateway payload 2.0, the local runtime).
 */
export function originCheck(secret: string | undefined) {
  const expected = secret && secret.length >= MIN_ORIGIN_SECRET_LENGTH ? secret : undefined;
  return (headers: Record<string, string | undefined> | undefined): boolean => {
    const presented = headers?.[ORIGIN_VERIFY_HEADER];
    if (!expected || typeof presented !== 'string') return false;
    return sameInConstantTime(presented, expected);
  };
}

/**
 * Whether `presented` equals `expected`, in a time that depends on `expected`'s length alone, never
 * on how much of it a guess got right: every character of `expected` is compared and every
 * difference (the lengths' too) folded into one value, with no branch on the data. This is what
 * `crypto.timingSafeEqual` does in C; it is not used here because loading `node:crypto` is about
 * 10 ms, two thirds of the authorizer's cold start, for a 48-character comparison (issue 15).
 * Past the end of a shorter `presented`, `charCodeAt` is NaN, which `| 0` turns into 0.
 */
export function sameInConstantTime(presented: string, expected: string): boolean {
  let difference = presented.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) difference |= (presented.charCodeAt(i) | 0) ^ expected.charCodeAt(i);
  return difference === 0;
}
