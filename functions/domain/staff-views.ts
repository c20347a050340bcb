import { HELD_REASON } from './deletion-plan.ts';

/** A deletion plan's mode that only a legal hold produces, and the mode an ordinary blocker gives. */
const HELD_MODE = 'blocked';
const ORDINARY_MODE = 'partial';

const withoutHoldWords = (s: string): string =>
  s.replaceAll('legal-hold', HELD_REASON).replace(/^(deletion-(?:re)?planned):blocked:/, `$1:${ORDINARY_MODE}:`);

/**
 * R13a, R1: what a staff member who may not see court orders is shown of a request: every trace of a
 * legal hold (the plan's `legal-hold` reason, its `blocked` mode, an event id naming either) reads as
 * an ordinary blocker does to the patron, so a held patron's trail looks like any other waiting one.
 * Pure: the stored trail is untouched (R17); the chain is verified on what is stored.
 */
export function withoutHoldTraces<T>(value: T): T {
  const walk = (v: unknown, key?: string): unknown => {
    if (typeof v === 'string') return key === 'mode' && v === HELD_MODE ? ORDINARY_MODE : withoutHoldWords(v);
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v !== null && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  return walk(value) as T;
}
