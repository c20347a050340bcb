import { describe, expect, it } from 'vitest';
import { ownEmail, sameAddress } from '../../functions/domain/own-channel.ts';

describe('whose inbox an address is (R7, R10)', () => {
  it('R7 R10: an email a guarantor or the requester also has is not the person’s own, whatever its case or spacing', () => {
    expect(ownEmail('teen@example.org', ['parent@example.org'])).toEqual({ email: 'teen@example.org', shared: false });
    expect(ownEmail('Parent@Example.org', [undefined, ' parent@example.org '])).toEqual({
      email: undefined,
      shared: true,
    });
    expect(ownEmail(undefined, ['parent@example.org'])).toEqual({ email: undefined, shared: false });
    expect(ownEmail('teen@example.org', [])).toEqual({ email: 'teen@example.org', shared: false });
  });

  it('R7: addresses that differ only in the local part are different inboxes', () => {
    expect(sameAddress('a@example.org', 'b@example.org')).toBe(false);
    expect(sameAddress('A@EXAMPLE.ORG', 'a@example.org')).toBe(true);
  });
});
