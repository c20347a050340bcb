import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * HTTP API Lambda authorizer (simple responses) for the public routes: the request must carry the
 * header CloudFront adds with the origin secret, so the WAF in front of CloudFront cannot be
 * bypassed by calling the execute-api endpoint directly. API Gateway caches the answer per header
 * value. Compares digests in constant time; logs nothing (the header is a secret, R5).
 */
export const ORIGIN_VERIFY_HEADER = 'x-origin-verify';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export interface OriginVerifyEvent {
  headers?: Record<string, string | undefined>;
}

export function createOriginVerifier(secret: string | undefined) {
  // A missing or short secret would let an empty header through: then nothing is authorised.
  const expected = secret && secret.length >= 32 ? digest(secret) : undefined;
  return async (event: OriginVerifyEvent): Promise<{ isAuthorized: boolean }> => {
    const presented = event.headers?.[ORIGIN_VERIFY_HEADER];
    if (!expected || typeof presented !== 'string') return { isAuthorized: false };
    return { isAuthorized: timingSafeEqual(digest(presented), expected) };
  };
}

export const handler = createOriginVerifier(process.env.ORIGIN_VERIFY_SECRET);
