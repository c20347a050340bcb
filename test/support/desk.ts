import { expect } from 'vitest';
import type { Runtime } from '../../local/runtime.ts';
import { localToken, postForm } from './http.ts';
import { DESK } from './runtime.ts';

/**
 * R1, R17: a staff member's download of a file to hand over, from their own emailed link: the POST
 * of the page its GET shows (the GET alone uses nothing up). Answers the file's response.
 */
export const downloadAtDesk = (link: string): Promise<Response> => postForm(link, { decision: 'download' });

/** R1, R17: a circulation staff member, signed in, records handing the file over in person; the request completes. */
export async function handOverAtDesk(rt: Pick<Runtime, 'baseUrl'>, requestId: string, staff = DESK): Promise<void> {
  const token = await localToken(rt.baseUrl, staff, ['circulation']);
  const res = await fetch(`${rt.baseUrl}/api/staff/requests/${requestId}/hand-over`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ documentKind: 'photo-id' }),
  });
  expect(res.status).toBe(200);
}
