import * as z from './zod.ts';

/**
 * R5, R17: free text that reaches a letter, an email, a staff page or an audit export. Control
 * characters can forge lines in a CSV or a log; bidi embeddings, overrides, isolates and marks can
 * make a name read as something else on a staff page; a lone surrogate or U+FFFD means the bytes
 * sent were not text. Such text is refused, never silently cleaned: the sender learns which field.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE_LINE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufffd\ud800-\udfff]/u;
/** The same, but tab and line breaks are allowed (a purpose, a reason). */
const UNSAFE_TEXT =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufffd\ud800-\udfff]/u;

const MESSAGE = 'control or text-direction characters are not allowed';

/** One line of text (a name, a street), trimmed, refused if it holds an unsafe character. */
export const singleLine = () =>
  z.string().check(
    z.trim(),
    z.refine((s) => !UNSAFE_LINE.test(s), MESSAGE),
  );

/** Text that may span lines (a purpose, a reason), trimmed, refused if it holds an unsafe character. */
export const multiLine = () =>
  z.string().check(
    z.trim(),
    z.refine((s) => !UNSAFE_TEXT.test(s), MESSAGE),
  );
