import { describe, expect, it } from 'vitest';
import { approvalRequestedEventId, lapsedRound } from '../../functions/domain/approvals.ts';

/** R15: the round a lapse counts is the ask that lapsed (task-approval-lapsed), not "rounds so far + 1". */
describe('R15 lapsedRound', () => {
  const asked = (step: string, ...rounds: number[]) => rounds.map((n) => approvalRequestedEventId(step, n));

  it('R15: the last ask of the step, whatever the stored count already says (a retried lapse step)', () => {
    const trail = [
      'received',
      ...asked('deletion-plan', 1),
      'approval-lapsed:deletion-plan:1',
      ...asked('deletion-plan', 2),
    ];
    expect(lapsedRound(trail, 'deletion-plan', 1)).toBe(2);
    // The retry after round 2 was stored: still round 2.
    expect(lapsedRound(trail, 'deletion-plan', 2)).toBe(2);
  });

  it('R15: another step of the same request, even one whose name starts the same, is not counted', () => {
    const trail = [...asked('court-order-review', 1, 2), ...asked('court-order-authorise', 1)];
    expect(lapsedRound(trail, 'court-order-authorise', undefined)).toBe(1);
    expect(
      lapsedRound([...asked('court-order-reviewer', 3), ...asked('court-order-review', 1)], 'court-order-review', 0),
    ).toBe(1);
  });

  it('a trail with no ask of the step falls back to the stored count plus one', () => {
    expect(lapsedRound([], 'third-party', undefined)).toBe(1);
    expect(lapsedRound(['approval-requested:third-party:x'], 'third-party', 1)).toBe(2);
  });
});
