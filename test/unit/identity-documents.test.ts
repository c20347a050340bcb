import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startDeskRequest } from '../../functions/app/desk-request.ts';
import { DOCUMENT_KINDS } from '../../functions/domain/identity-documents.ts';
import { InvalidInputError } from '../../functions/domain/errors.ts';
import type { Deps } from '../../functions/lib/deps.ts';

/**
 * R4: staff record which kind of document they saw, never the document. The library's policy names
 * school verification among the ways a card is issued, so a school ID is one of the kinds; the
 * desk form offers exactly the kinds the server accepts.
 */
describe('identity documents staff may record (R4)', () => {
  it('R4: a school or student ID is a kind staff may record seeing', () => {
    expect(Object.keys(DOCUMENT_KINDS)).toContain('school-id');
  });

  it('R4: the desk form offers exactly the document kinds the server accepts, with the same words', () => {
    const page = readFileSync(new URL('../../web/staff.html', import.meta.url), 'utf8');
    const select = /<select id="ob-documentKind"[^>]*>([\s\S]*?)<\/select>/.exec(page)?.[1] ?? '';
    const options = [...select.matchAll(/<option value="([^"]+)">([^<]+)<\/option>/g)].map((m) => [m[1], m[2]]);
    expect(options).toEqual(Object.entries(DOCUMENT_KINDS));
  });

  it('R4: a desk request verified with a school ID passes the document check; an unknown kind is refused', async () => {
    const who = { sub: 's-1', email: 'cora@library.example', groups: ['circulation' as const] };
    // R4, R6: a desk access report also names who confirms it besides the staff member.
    const base = {
      kind: 'access',
      cardNumber: '21234000012345',
      lastName: 'Lovelace',
      confirmation: 'second-staff',
    };
    // Stop at the first port use: what matters is whether the document kind passed validation.
    const deps = new Proxy({} as Deps, {
      get() {
        throw new Error('validated');
      },
    });
    const outcome = (documentKind: string) =>
      startDeskRequest(deps, who, { ...base, documentKind }).then(
        () => 'accepted',
        (e: unknown) => (e instanceof InvalidInputError ? e.issues.map((i) => i.path) : (e as Error).message),
      );
    expect(await outcome('school-id')).toBe('validated');
    expect(await outcome('student-card-photocopy')).toEqual(['documentKind']);
  });
});
