import * as z from './zod.ts';
import { lazy } from './lazy.ts';
import { CATEGORIES } from './categories.ts';
import { multiLine, singleLine } from './plain-text.ts';

/** What people submit (CONTRACT.md "Requests"). Strict: unknown fields are refused, not ignored. */
const cardNumber = lazy(() => z.string().check(z.trim(), z.regex(/^[0-9]{6,20}$/, 'a card number is 6 to 20 digits')));
const lastName = lazy(() => singleLine().check(z.minLength(1, 'required'), z.maxLength(100)));
const identity = lazy(() => z.strictObject({ cardNumber: cardNumber(), lastName: lastName() }));

const today = () => new Date().toISOString().slice(0, 10);

const changes = lazy(() =>
  z
    .strictObject({
      firstName: z.optional(singleLine().check(z.minLength(1), z.maxLength(100))),
      lastName: z.optional(singleLine().check(z.minLength(1), z.maxLength(100))),
      email: z.optional(z.email('not a valid email address').check(z.maxLength(254))),
      phone: z.optional(z.string().check(z.trim(), z.regex(/^\+?[0-9 ()-]{7,20}$/, 'not a valid phone number'))),
      address: z.optional(
        z.strictObject({
          street: singleLine().check(z.minLength(1), z.maxLength(200)),
          city: singleLine().check(z.minLength(1), z.maxLength(100)),
          state: singleLine().check(z.minLength(2), z.maxLength(32)),
          postalCode: singleLine().check(z.minLength(3), z.maxLength(16)),
        }),
      ),
      // R6: the sign-in name (credentials: the one field of that category a patron may correct).
      username: z.optional(
        z
          .string()
          .check(
            z.trim(),
            z.minLength(1),
            z.maxLength(64),
            z.regex(/^[^\p{Cc}]+$/u, 'a username has no control characters'),
          ),
      ),
      dateOfBirth: z.optional(
        z.iso.date('use YYYY-MM-DD').check(z.refine((d) => d <= today(), 'a date of birth cannot be in the future')),
      ),
    })
    .check(z.refine((c) => Object.keys(c).length > 0, 'name at least one change')),
);

/**
 * R20: a patron by card and last name, or a donor without a card by the email their donation
 * record holds; never both, never neither. The two shapes are one object so the refusal names the
 * field, and the answer to a valid one is the same whether or not it matches (CONTRACT.md).
 */
const outreachOptOut = lazy(() =>
  z
    .strictObject({
      kind: z.literal('outreach-opt-out'),
      cardNumber: z.optional(cardNumber()),
      lastName: z.optional(lastName()),
      email: z.optional(z.email('not a valid email address').check(z.maxLength(254))),
    })
    .check(
      z.superRefine((o, ctx) => {
        const byCard = o.cardNumber !== undefined || o.lastName !== undefined;
        if (byCard && o.email !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['email'],
            message: 'give a card number and last name, or an email, not both',
          });
        else if (!byCard && o.email === undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['email'],
            message: 'give a card number and last name, or a donor email',
          });
        else if (byCard && o.cardNumber === undefined)
          ctx.addIssue({ code: 'custom', path: ['cardNumber'], message: 'required' });
        else if (byCard && o.lastName === undefined)
          ctx.addIssue({ code: 'custom', path: ['lastName'], message: 'required' });
      }),
    ),
);

export const requestInputSchema = z.lazy(() =>
  z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('access'), cardNumber: cardNumber(), lastName: lastName() }),
    z.strictObject({ kind: z.literal('export'), cardNumber: cardNumber(), lastName: lastName() }),
    z.strictObject({ kind: z.literal('deletion'), cardNumber: cardNumber(), lastName: lastName() }),
    z.strictObject({
      kind: z.literal('correction'),
      cardNumber: cardNumber(),
      lastName: lastName(),
      changes: changes(),
    }),
    z.strictObject({ kind: z.literal('guardian-access'), guardian: identity(), child: identity() }),
    z.strictObject({
      kind: z.literal('third-party'),
      requester: z.strictObject({
        name: singleLine().check(z.minLength(1), z.maxLength(200)),
        email: z.email().check(z.maxLength(254)),
        organization: z.optional(singleLine().check(z.maxLength(200))),
      }),
      patron: identity(),
      categories: z.pipe(
        z.transform((v) => (typeof v === 'string' ? [v] : v)),
        z.array(z.enum(CATEGORIES)).check(z.minLength(1)),
      ),
      purpose: multiLine().check(z.minLength(1), z.maxLength(2000)),
    }),
    outreachOptOut(),
  ]),
);

export type RequestInput = z.infer<typeof requestInputSchema>;
