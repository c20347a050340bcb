import { describe, expect, it } from 'vitest';
import { isNewPhone, phoneDigits } from '../../functions/domain/phone.ts';

describe('R6 a new phone number', () => {
  it('compares digits only: spaces, brackets, dashes, dots and a plus are formatting', () => {
    expect(phoneDigits('+1 (203) 555-0100')).toBe('2035550100');
    expect(isNewPhone('+1 (203) 555-0100', '+12035550100')).toBe(false);
    expect(isNewPhone('203.555.0100', '(203) 555-0100')).toBe(false);
    expect(isNewPhone(' 203 555 0100 ', '203-555-0100')).toBe(false);
  });

  it('a different digit, or no number on file, is a new number that the desk must call', () => {
    expect(isNewPhone('+1 203 555 0101', '+12035550100')).toBe(true);
    expect(isNewPhone('203-555-0100', undefined)).toBe(true);
  });

  it('the North American country code is the same number with or without it; another country code is a new number', () => {
    expect(isNewPhone('(203) 555-0100', '+12035550100')).toBe(false);
    expect(isNewPhone('1-203-555-0100', '203 555 0100')).toBe(false);
    expect(isNewPhone('+44 20 7946 0958', '+1 203 555 0100')).toBe(true);
    expect(isNewPhone('+44 20 7946 0958', '+44 20 7946 0959')).toBe(true);
  });
});
