import { describe, expect, it } from 'vitest';
import { dailyCounterExpiry, libraryDay, repeatSlot } from '../../functions/domain/repeats.ts';
import { defaultPolicy, policySchema } from '../../functions/domain/policy.ts';

describe('R7 repeat slots and the daily cap', () => {
  it('R7 a patron holds one slot per kind; a guardian one per child; a court order none', () => {
    expect(repeatSlot('access', { patronId: 'P1' })).toEqual({ ownerId: 'P1', slot: 'access' });
    expect(repeatSlot('export', { patronId: 'P1' })).toEqual({ ownerId: 'P1', slot: 'export' });
    expect(repeatSlot('guardian-access', { requesterPatronId: 'G', patronId: 'C1' })).toEqual({
      ownerId: 'G',
      slot: 'guardian-access#C1',
    });
    expect(repeatSlot('guardian-access', { requesterPatronId: 'G' })).toEqual({
      ownerId: 'G',
      slot: 'guardian-access#unknown-child',
    });
    expect(repeatSlot('court-order', { patronId: 'P1' })).toBeUndefined();
    expect(repeatSlot('access', {})).toBeUndefined();
    expect(repeatSlot('guardian-access', { patronId: 'C1' })).toBeUndefined();
  });

  it("R7 the cap's day is the library's calendar day, not UTC's", () => {
    // 02:00 UTC on the 11th is still the 10th in New York.
    expect(libraryDay(new Date('2026-03-11T02:00:00Z'), 'America/New_York')).toBe('2026-03-10');
    expect(libraryDay(new Date('2026-03-11T05:00:00Z'), 'America/New_York')).toBe('2026-03-11');
    expect(dailyCounterExpiry(new Date('2026-03-11T00:00:00Z'))).toBe(Date.parse('2026-03-14T00:00:00Z') / 1000);
  });

  it('R7 the cap is policy configuration with a default of 5; a bad value is refused', () => {
    expect(defaultPolicy.repeats.dailyCapPerPatron).toBe(5);
    const { repeats: _r, ...withoutRepeats } = defaultPolicy;
    expect(policySchema.parse(withoutRepeats).repeats.dailyCapPerPatron).toBe(5);
    for (const bad of [0, -1, 2.5, '5'])
      expect(policySchema.safeParse({ ...defaultPolicy, repeats: { dailyCapPerPatron: bad } }).success).toBe(false);
  });
});
