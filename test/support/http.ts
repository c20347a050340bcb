import { expect } from 'vitest';

/** A form's fields: by name, or as name–value pairs where a name repeats (a group of checkboxes). */
export type FormFields = Record<string, string> | [string, string][];

/** What a form post asks for beyond fetch's defaults. */
export interface FormPost {
  accept?: string;
  redirect?: RequestInit['redirect'];
}

/** Posts a form as a page posts it (`application/x-www-form-urlencoded`): a link's decision, a request form. */
export const postForm = (url: string, fields: FormFields, how: FormPost = {}) =>
  fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(how.accept !== undefined ? { accept: how.accept } : {}),
    },
    body: new URLSearchParams(fields).toString(),
    ...(how.redirect !== undefined ? { redirect: how.redirect } : {}),
  });

/** Posts a form as a browser does: it asks for HTML, and a redirect comes back as it is, not followed. */
export const postFormAsBrowser = (url: string, fields: FormFields) =>
  postForm(url, fields, { accept: 'text/html', redirect: 'manual' });

/** A staff sign-in token from the local runtime (`POST /_local/token`), as the sign-in page gets one. */
export async function localToken(baseUrl: string, email: string, groups: string[]): Promise<string> {
  const res = await fetch(`${baseUrl}/_local/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, groups }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}
