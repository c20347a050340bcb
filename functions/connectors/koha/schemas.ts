/**
 * What the connector reads from Koha's answers (definitions/*.yaml of the spec), checked with zod
 * before use. Only the fields the connector uses are named; the spec validator in the simulator
 * checks the rest.
 */
import * as z from 'zod';

const text = z.string().nullable().optional();
const int = z.number().int();

export const kohaPatronSchema = z.looseObject({
  patron_id: int,
  cardnumber: text,
  surname: text,
  firstname: text,
  date_of_birth: text,
  email: text,
  phone: text,
  mobile: text,
  street_number: text,
  address: text,
  address2: text,
  city: text,
  state: text,
  postal_code: text,
  userid: text,
  date_enrolled: text,
  expiry_date: text,
  privacy: int.optional(),
  library_id: z.string(),
  category_id: z.string(),
});
export type KohaPatron = z.infer<typeof kohaPatronSchema>;

export const kohaPatronListSchema = z.array(kohaPatronSchema);

export const kohaCheckoutListSchema = z.array(
  z.object({
    checkout_id: int,
    item_id: int.nullable().optional(),
    library_id: text,
    checkout_date: text,
    due_date: text,
    checkin_date: text,
  }),
);

export const kohaHoldListSchema = z.array(
  z.object({
    hold_id: int,
    biblio_id: int.nullable().optional(),
    hold_date: text,
    status: text,
    cancellation_date: text,
  }),
);

export const kohaAccountLineListSchema = z.array(
  z.object({
    account_line_id: int.nullable().optional(),
    amount: z.number(),
    amount_outstanding: z.number().optional(),
    /** debit.yaml and credit.yaml call the debit or credit type `type`. */
    type: text,
    description: text,
    date: text,
  }),
);

export const kohaBalanceSchema = z.object({
  balance: z.number(),
  outstanding_debits: z.object({ total: z.number().optional() }).optional(),
});

export const kohaErrorSchema = z.object({ error: z.string().optional(), error_code: z.string().optional() });
