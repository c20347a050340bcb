import * as z from '../../domain/zod.ts';
import { DOCUMENT_KINDS, RELATIONSHIP_DOCUMENTS } from '../../domain/identity-documents.ts';

/** What a link's form posts: the choice, an optional reason, and for desk checks the kind of document seen. */
export const decisionSchema = z.lazy(() =>
  z.object({
    decision: z.enum(['confirm', 'approve', 'reject', 'consent', 'decline', 'done', 'could-not', 'undo']),
    reason: z.optional(z.string().check(z.trim(), z.maxLength(2000))),
    // Identity documents (in-person verification) or relationship documents (a guardian's link, R11); each action checks its own list.
    documentKind: z.optional(
      z.enum([...Object.keys(DOCUMENT_KINDS), ...Object.keys(RELATIONSHIP_DOCUMENTS)] as [string, ...string[]]),
    ),
  }),
);

export type DecisionInput = z.infer<typeof decisionSchema>;
