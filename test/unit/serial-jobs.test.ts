import { describe, expect, it } from 'vitest';
import { SerialJobs } from '../../local/runtime.ts';

/** A job that runs until the test lets it finish. */
function gate() {
  let open = () => undefined as void;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open: () => open() };
}

describe('local scheduler (SerialJobs)', () => {
  it('runs jobs one at a time, in the order they were asked for', async () => {
    const jobs = new SerialJobs();
    const log: string[] = [];
    const first = gate();
    void jobs.run(
      'a',
      async () => {
        log.push('a start');
        await first.opened;
        log.push('a end');
      },
      () => undefined,
    );
    void jobs.run(
      'b',
      async () => {
        log.push('b');
      },
      () => undefined,
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(log).toEqual(['a start']);
    first.open();
    await jobs.idle();
    expect(log).toEqual(['a start', 'a end', 'b']);
  });

  it('a tick that finds the same job still waiting or running is skipped: a slow job builds no backlog', async () => {
    const jobs = new SerialJobs();
    let runs = 0;
    const slow = gate();
    const job = async () => {
      runs++;
      await slow.opened;
    };
    for (let i = 0; i < 50; i++) void jobs.run('sweep', job, () => undefined);
    slow.open();
    await jobs.idle();
    expect(runs).toBe(1);
    // Once it has finished, the next tick runs it again.
    await jobs.run('sweep', job, () => undefined);
    expect(runs).toBe(2);
  });

  it('a failing job is reported and the jobs after it still run', async () => {
    const jobs = new SerialJobs();
    const errors: string[] = [];
    let ran = false;
    void jobs.run(
      'bad',
      async () => {
        throw new TypeError('boom');
      },
      (e) => errors.push((e as Error).name),
    );
    await jobs.run(
      'good',
      async () => {
        ran = true;
      },
      () => undefined,
    );
    expect(errors).toEqual(['TypeError']);
    expect(ran).toBe(true);
  });
});
