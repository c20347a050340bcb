import { describe, expect, it } from 'vitest';
import { lazy } from '../../functions/domain/lazy.ts';

describe('lazy', () => {
  it('builds nothing until first asked', () => {
    let builds = 0;
    lazy(() => ++builds);
    expect(builds).toBe(0);
  });

  it('builds once, on first use, and gives the same value after', () => {
    let builds = 0;
    const value = lazy(() => ({ build: ++builds }));
    const first = value();
    expect(builds).toBe(1);
    expect(value()).toBe(first);
    expect(builds).toBe(1);
  });

  it('keeps a built undefined as built', () => {
    let builds = 0;
    const value = lazy(() => {
      builds++;
      return undefined;
    });
    value();
    value();
    expect(builds).toBe(1);
  });

  it('builds again after a build that threw (nothing was kept)', () => {
    let builds = 0;
    const value = lazy(() => {
      if (++builds === 1) throw new Error('not yet');
      return builds;
    });
    expect(() => value()).toThrow('not yet');
    expect(value()).toBe(2);
  });
});
