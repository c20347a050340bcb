import * as z from 'zod';
import { CATEGORIES } from './categories.ts';
import { multiLine, singleLine } from './plain-text.ts';

/** What people submit (CONTRACT.md "Requests"). Strict: unknown fields are refused, not ignored. */
const cardNumber = z
  .string()
  .trim()
  .regex(/^[0-9]{6,20}$/, 'a card number is 6 to 20 digits');
const lastName = singleLine().min(1, 'required').max(100);
const identity = z.strictObject({ cardNumber, lastName });

const today = () => new Date().toISOString().slice(0, 10);

const changes = z
  .strictObject({
    firstName: singleLine().min(1).max(100).optional(),
    lastName: singleLine().min(1).max(100).optional(),
    email: z.email('not a valid email address').max(254).optional(),
    phone: z
      .string()
      .trim()
      .regex(/^\+?[0-9 ()-]{7,20}$/, 'not a valid phone number')
      .optional(),
    address: z
      .strictObject({
        street: singleLine().min(1).max(200),
        city: singleLine().min(1).max(100),
        state: singleLine().min(2).max(32),
        postalCode: singleLine().min(3).max(16),
      })
      .optional(),
    // R6: the sign-in name (credentials: the one field of that category a patron may correct).
    username: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .regex(/^[^\p{Cc}]+$/u, 'a username has no control characters')
      .optional(),
    dateOfBirth: z.iso
      .date('use YYYY-MM-DD')
      .refine((d) => d <= today(), 'a date of birth cannot be in the future')
      .optional(),
  })
  .refine((c) => Object.keys(c).length > 0, 'name at least one change');

/**
 * R20: a patron by card and last name, or a donor without a card by the email their donation
 * record holds; never both, never neither. The two shapes are one object so the refusal names the
 * field, and the answer to a valid one is the same whether or not it matches (CONTRACT.md).
 */
const outreachOptOut = z
  .strictObject({
    kind: z.literal('outreach-opt-out'),
    cardNumber: cardNumber.optional(),
    lastName: lastName.optional(),
    email: z.email('not a valid email address').max(254).optional(),
  })
  .superRefine((o, ctx) => {
    const byCard = o.cardNumber !== undefined || o.lastName !== undefined;
    if (byCard && o.email !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['email'],
        message: 'give a card number and last name, or an email, not both',
      });
    else if (!byCard && o.email === undefined)
      ctx.addIssue({ code: 'custom', path: ['email'], message: 'give a card number and last name, or a donor email' });
    else if (byCard && o.cardNumber === undefined)
      ctx.addIssue({ code: 'custom', path: ['cardNumber'], message: 'required' });
    else if (byCard && o.lastName === undefined)
      ctx.addIssue({ code: 'custom', path: ['lastName'], message: 'required' });
  });

export const requestInputSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('access'), cardNumber, lastName }),
  z.strictObject({ kind: z.literal('export'), cardNumber, lastName }),
  z.strictObject({ kind: z.literal('deletion'), cardNumber, lastName }),
  z.strictObject({ kind: z.literal('correction'), cardNumber, lastName, changes }),
  z.strictObject({ kind: z.literal('guardian-access'), guardian: identity, child: identity }),
  z.strictObject({
    kind: z.literal('third-party'),
    requester: z.strictObject({
      name: singleLine().min(1).max(200),
      email: z.email().max(254),
      organization: singleLine().max(200).optional(),
    }),
    patron: identity,
    categories: z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(z.enum(CATEGORIES)).min(1)),
    purpose: multiLine().min(1).max(2000),
  }),
  outreachOptOut,
]);

export type RequestInput = z.infer<typeof requestInputSchema>;
