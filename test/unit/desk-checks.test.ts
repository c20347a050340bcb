import { describe, expect, it } from 'vitest';
import { isSamePerson, needsDeskCheck } from '../../functions/domain/desk-checks.ts';
import type { RequestInput } from '../../functions/domain/request-input.ts';
import { actionsOf, mayTake, STAFF_ROLES } from '../../functions/domain/staff.ts';

const card = { cardNumber: '21234000012345', lastName: 'Lovelace' };

describe('who may act at the desk (domain/staff.ts, domain/desk-checks.ts)', () => {
  it('R1 R12: extending a deadline is the privacy officer’s or the director’s; circulation and counsel may not', () => {
    expect(STAFF_ROLES.filter((r) => mayTake([r], 'extend-deadline'))).toEqual(['privacy-officer', 'director']);
  });

  it('R1 R4: desk requests, second approvals and hand-overs are the desk roles’; counsel takes none of them', () => {
    for (const action of ['desk-request', 'second-approval', 'hand-over'] as const)
      expect(
        STAFF_ROLES.filter((r) => mayTake([r], action)),
        action,
      ).toEqual(['privacy-officer', 'director', 'circulation']);
    expect(actionsOf(['counsel'])).toEqual([]);
    expect(actionsOf([])).toEqual([]);
    expect(actionsOf(['counsel', 'circulation'])).toEqual(['desk-request', 'second-approval', 'hand-over']);
  });

  it('R4 R6: a desk access report, export or contact change needs the second check; a deletion, a guardian’s request or a name change does not', () => {
    const needs = (input: RequestInput) => needsDeskCheck(input);
    expect(needs({ kind: 'access', ...card })).toBe(true);
    expect(needs({ kind: 'export', ...card })).toBe(true);
    expect(needs({ kind: 'correction', ...card, changes: { email: 'ada@new.example.org' } })).toBe(true);
    expect(needs({ kind: 'correction', ...card, changes: { phone: '203-555-0100' } })).toBe(true);
    expect(
      needs({
        kind: 'correction',
        ...card,
        changes: { address: { street: '1 Main St', city: 'Greenwich', state: 'CT', postalCode: '06830' } },
      }),
    ).toBe(true);
    expect(needs({ kind: 'correction', ...card, changes: { firstName: 'Augusta' } })).toBe(false);
    expect(needs({ kind: 'correction', ...card, changes: { username: 'ada2' } })).toBe(false);
    expect(needs({ kind: 'deletion', ...card })).toBe(false);
    expect(needs({ kind: 'guardian-access', guardian: card, child: card })).toBe(false);
  });

  it('R12 R4: the second staff member is another person: the same sub, or the same email, is the same person', () => {
    const check = { firstSub: 'local-a', firstStaffId: 'circulation@library.example' };
    expect(isSamePerson(check, { sub: 'local-a', email: 'other@library.example' })).toBe(true);
    expect(isSamePerson(check, { sub: 'local-b', email: 'circulation@library.example' })).toBe(true);
    expect(isSamePerson(check, { sub: 'local-b', email: 'lucia.ferreira@library.example' })).toBe(false);
  });
});
