import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kohaSpecAvailable, startKohaSimulator, type KohaSimulator } from './koha-simulator/index.ts';
import { taskRole } from '../../functions/domain/system-task.ts';
import { postForm } from './http.ts';
import { ADA, linkIn, startTestRuntime, type TestRuntime } from './runtime.ts';

/**
 * R19: the system configurations every reading workflow is tested with: the records table plus a
 * manual system, and Koha (the simulator) as the system of record beside the records table.
 */

const TABLE_CATEGORIES = [
  'personal',
  'residency',
  'credentials',
  'library-records',
  'payments',
  'donations',
  'shared-content',
];

export const RECORDS_TABLE = { id: 'records', type: 'records-table', name: 'Privacy Desk records', identity: true };

/** A system without an API: every reading kind has an instruction, so each request asks its staff. */
export const EBOOKS = {
  id: 'ebooks',
  type: 'manual',
  name: 'E-book vendor',
  role: 'circulation',
  categories: ['library-records'],
  instructions: {
    access: 'List the patron’s e-book loans and holds and attach the list.',
    export: 'Export the patron’s e-book loans and holds (CSV) and attach it.',
    'guardian-access': 'List the child’s e-book loans and attach the list.',
    'third-party': 'List the patron’s e-book loans for the permitted categories and attach the list.',
    'court-order': 'Export only what the order names and attach it.',
  },
};

export const RECORDS_AND_MANUAL = {
  systems: [{ ...RECORDS_TABLE, categories: TABLE_CATEGORIES }, EBOOKS],
};

/** The Koha the simulator runs, as the systems file names it (secrets by variable name only). */
export const KOHA_ID = 'ils';
export const kohaSystems = (sim: KohaSimulator) => ({
  systems: [
    {
      id: KOHA_ID,
      type: 'koha',
      name: 'Koha catalogue and circulation',
      identity: true,
      categories: ['personal', 'credentials', 'library-records', 'payments'],
      baseUrl: sim.baseUrl,
      auth: { type: 'oauth2', clientIdEnv: 'PD_TEST_KOHA_CLIENT_ID', clientSecretEnv: 'PD_TEST_KOHA_CLIENT_SECRET' },
    },
    // Behind Koha: the records table is reached for the same person, found by the card Koha holds.
    { ...RECORDS_TABLE, identity: false, categories: TABLE_CATEGORIES },
  ],
});

export const KOHA_SPEC = kohaSpecAvailable();

/** Ada as Koha knows her: her own email there, so verification proves Koha is her system of record. */
export const ADA_IN_KOHA = { email: 'ada.koha@example.org' };

export interface KohaAda {
  patronId: number;
  checkoutId: number;
  holdId: number;
  fineId: number;
}

export function seedKohaAda(sim: KohaSimulator): KohaAda {
  const patronId = sim.data.addPatron({
    cardnumber: ADA.cardNumber,
    surname: ADA.lastName,
    firstname: ADA.firstName,
    email: ADA_IN_KOHA.email,
    userid: 'ada.koha',
  });
  sim.data.addReturnedCheckouts(patronId, 3);
  return {
    patronId,
    checkoutId: sim.data.addCheckout(patronId),
    holdId: sim.data.addHold(patronId),
    fineId: sim.data.addDebit(patronId, 2.5),
  };
}

/** A test runtime with a systems file (written where `npm start` reads one) and, for Koha, the simulator. */
export async function startRuntimeWithSystems(
  systems: unknown,
  opts: Parameters<typeof startTestRuntime>[0] = {},
): Promise<TestRuntime> {
  const dir = await mkdtemp(join(tmpdir(), 'privacy-desk-systems-'));
  const systemsPath = join(dir, 'systems.json');
  await writeFile(systemsPath, JSON.stringify(systems));
  const rt = await startTestRuntime({ systemsPath, ...opts });
  return {
    ...rt,
    async cleanup() {
      await rt.cleanup();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function startKoha(): Promise<KohaSimulator> {
  process.env.PD_TEST_KOHA_CLIENT_ID = 'privacy-desk';
  process.env.PD_TEST_KOHA_CLIENT_SECRET = 'client-secret';
  return startKohaSimulator({ clients: [{ id: 'privacy-desk', secret: 'client-secret' }], tokenTtlSeconds: 3600 });
}

export interface KohaWithAda {
  sim: KohaSimulator;
  ada: KohaAda;
  /** Its `cleanup` stops the simulator too. */
  rt: TestRuntime;
}

/** Koha as the system of record (the simulator, Ada seeded in it) beside the records table, and a runtime reaching both. */
export async function startKohaWithAda(opts: Parameters<typeof startTestRuntime>[0] = {}): Promise<KohaWithAda> {
  const sim = await startKoha();
  const ada = seedKohaAda(sim);
  const rt = await startRuntimeWithSystems(kohaSystems(sim), opts);
  return {
    sim,
    ada,
    rt: {
      ...rt,
      async cleanup() {
        await rt.cleanup();
        await sim.close();
      },
    },
  };
}

/**
 * Staff answer a manual system's task as they do (R19): the task emailed to the first staff member
 * of the system's role, its link's `done` or `could-not` with a reason.
 */
export async function answerManualSystem(
  rt: TestRuntime,
  requestId: string,
  systemId: string,
  answer: { state: 'done' } | { state: 'could-not'; reason: string },
): Promise<void> {
  const system = rt.deps.systems.systems.find((s) => s.id === systemId);
  if (system?.type !== 'manual') throw new Error(`${systemId} is not a manual system`);
  const { kind } = await rt.deps.requests.get(requestId);
  const role = taskRole(system.role, kind); // R12: a court order's task goes to roles that may see one
  const [first] = await rt.deps.records.staffWithRole(role);
  if (!first) throw new Error(`nobody holds ${role}`);
  const name = system.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const task = await rt.mail.waitFor(first.email, new RegExp(`Task in ${name} for request ${requestId}`));
  const res = await postForm(
    linkIn(task, 'act'),
    answer.state === 'done' ? { decision: 'done' } : { decision: 'could-not', reason: answer.reason },
  );
  if (res.status !== 200) throw new Error(`the ${systemId} task answered ${res.status}`);
}
