import { describe, expect, it } from 'vitest';
import { SYSTEMS_MAP_CONCURRENCY, WORKFLOWS } from '../../workflows/index.ts';
import { allStates, rawDefinition, workflowNames, type AslMachine, type AslState } from './asl-helpers.ts';

/** The Map over a request's systems (R19): its items are the planned systems. */
const systemMaps = workflowNames.flatMap((name) => {
  const machine = JSON.parse(rawDefinition(name)) as AslMachine;
  return [...allStates(machine)]
    .map(([path, state]) => ({ key: `${WORKFLOWS[name].file}:${path}`, state: state as AslState & MapFields }))
    .filter(({ state }) => state.Type === 'Map' && state.ItemsPath === '$.systems.items');
});

interface MapFields {
  ItemsPath?: string;
  MaxConcurrency?: number;
}

describe('R19 the fan-out over a request’s systems', () => {
  it('is in every request workflow (all but the retention run)', () => {
    const files = new Set(systemMaps.map((m) => m.key.split(':')[0]));
    expect([...files].sort()).toEqual(
      workflowNames
        .filter((n) => n !== 'retention')
        .map((n) => WORKFLOWS[n].file)
        .sort(),
    );
  });

  it.each(systemMaps)(
    '$key reaches up to SYSTEMS_MAP_CONCURRENCY systems at once, so a fifth system does not wait for a slot',
    ({ state }) => {
      expect(state.MaxConcurrency).toBe(SYSTEMS_MAP_CONCURRENCY);
      expect(SYSTEMS_MAP_CONCURRENCY).toBeGreaterThanOrEqual(5);
    },
  );
});
