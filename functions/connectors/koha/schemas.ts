/**
 * What the connector reads from Koha's answers (definitions/*.yaml of the spec), checked with zod
 * before use. Only the fields the connector uses are named; the spec validator in the simulator
 * checks the rest.
 */
import * as z from '../../domain/zod.ts';
import { lazy } from '../../domain/lazy.ts';

const text = lazy(() => z.optional(z.nullable(z.string())));
const int = lazy(() => z.number().check(z.int()));

export const kohaPatronSchema = z.lazy(() =>
  z.looseObject({
    patron_id: int(),
    cardnumber: text(),
    surname: text(),
    firstname: text(),
    date_of_birth: text(),
    email: text(),
    phone: text(),
    mobile: text(),
    street_number: text(),
    address: text(),
    address2: text(),
    city: text(),
    state: text(),
    postal_code: text(),
    userid: text(),
    date_enrolled: text(),
    expiry_date: text(),
    privacy: z.optional(int()),
    library_id: z.string(),
    category_id: z.string(),
  }),
);
export type KohaPatron = z.infer<typeof kohaPatronSchema>;

export const kohaPatronListSchema = z.lazy(() => z.array(kohaPatronSchema));

export const kohaCheckoutListSchema = z.lazy(() =>
  z.array(
    z.object({
      checkout_id: int(),
      item_id: z.optional(z.nullable(int())),
      library_id: text(),
      checkout_date: text(),
      due_date: text(),
      checkin_date: text(),
    }),
  ),
);

export const kohaHoldListSchema = z.lazy(() =>
  z.array(
    z.object({
      hold_id: int(),
      biblio_id: z.optional(z.nullable(int())),
      hold_date: text(),
      status: text(),
      cancellation_date: text(),
    }),
  ),
);

export const kohaAccountLineListSchema = z.lazy(() =>
  z.array(
    z.object({
      account_line_id: z.optional(z.nullable(int())),
      amount: z.number(),
      amount_outstanding: z.optional(z.number()),
      /** debit.yaml and credit.yaml call the debit or credit type `type`. */
      type: text(),
      description: text(),
      date: text(),
    }),
  ),
);

export const kohaBalanceSchema = z.lazy(() =>
  z.object({
    balance: z.number(),
    outstanding_debits: z.optional(z.object({ total: z.optional(z.number()) })),
  }),
);

export const kohaErrorSchema = z.lazy(() =>
  z.object({ error: z.optional(z.string()), error_code: z.optional(z.string()) }),
);
