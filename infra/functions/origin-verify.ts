import { originCheck } from '../../functions/lib/origin-header.ts';

export { ORIGIN_VERIFY_HEADER } from '../../functions/lib/origin-header.ts';

/**
 * HTTP API Lambda authorizer (simple responses) for the public routes: the request must carry the
 * header CloudFront adds with the origin secret, so the WAF in front of CloudFront cannot be
 * bypassed by calling the execute-api endpoint directly. API Gateway caches the answer per header
 * value. Logs nothing (the header is a secret, R5).
 */
export interface OriginVerifyEvent {
  headers?: Record<string, string | undefined>;
}

export function createOriginVerifier(secret: string | undefined) {
  const check = originCheck(secret);
  return async (event: OriginVerifyEvent): Promise<{ isAuthorized: boolean }> => ({
    isAuthorized: check(event.headers),
  });
}

export const handler = createOriginVerifier(process.env.ORIGIN_VERIFY_SECRET);
