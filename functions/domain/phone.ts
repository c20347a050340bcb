/**
 * R6: whether a correction's phone number is a new number, which the desk must then confirm by
 * calling it. Spaces, brackets, dashes, dots and a plus are formatting, not a change. The library
 * is in the North American Numbering Plan, where "+1 203 …" and "203 …" are the same number (no
 * area code begins with 1, so dropping the country code from 11 digits never merges two numbers);
 * any other country code counts as written, which costs at most a call and lets nothing through.
 */
export const phoneDigits = (phone: string): string => {
  const digits = phone.replace(/\D/g, '');
  return digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : digits;
};

/** True when `requested` is not the number on file (none on file: any number is new). */
export const isNewPhone = (requested: string, onFile: string | undefined): boolean =>
  onFile === undefined || phoneDigits(requested) !== phoneDigits(onFile);
