import { describe, expect, it } from 'vitest';
import { LOST_RACE, retryLostRaces } from '../../functions/adapters/dynamodb/conditional-put.ts';
import { ConflictError, IntegrityError } from '../../functions/domain/errors.ts';

const conflict = () => new ConflictError('changed concurrently');

describe('retryLostRaces: the one read-change-write loop of the stores (optimistic locking)', () => {
  it('answers the first round that did not lose a race', async () => {
    let rounds = 0;
    const out = await retryLostRaces(async () => (++rounds < 3 ? LOST_RACE : `written in round ${rounds}`), conflict);
    expect(out).toBe('written in round 3');
    expect(rounds).toBe(3);
  });

  it('gives up after five lost races with the caller’s conflict', async () => {
    let rounds = 0;
    await expect(retryLostRaces(async () => (rounds++, LOST_RACE), conflict)).rejects.toBeInstanceOf(ConflictError);
    expect(rounds).toBe(5);
  });

  it('does not retry an error a round throws', async () => {
    let rounds = 0;
    const failing = retryLostRaces(async () => {
      rounds++;
      throw new IntegrityError('broken');
    }, conflict);
    await expect(failing).rejects.toBeInstanceOf(IntegrityError);
    expect(rounds).toBe(1);
  });
});
