import * as z from './zod.ts';
import { lazy } from './lazy.ts';
import { CATEGORIES } from './categories.ts';
import { parseFile, parseJsonFile } from './file-issues.ts';
import { REQUEST_KINDS } from './request.ts';
import { STAFF_ROLES } from './staff.ts';

/**
 * R19: the systems that hold a library's patron records, as the systems file names them
 * (CONTRACT.md). Secrets are never in the file: it names the environment variables (locally) or
 * secret names (in AWS) that hold them.
 */

/** An environment variable's or secret's name, never its value. */
const secretName = lazy(() =>
  z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_./-]{0,127}$/, 'a variable or secret name')),
);

const common = lazy(() => ({
  id: z.string().check(z.regex(/^[a-z][a-z0-9-]{0,39}$/, 'lower-case letters, digits and dashes')),
  name: z.string().check(z.trim(), z.minLength(1), z.maxLength(100)),
  /** A request's card number and last name are matched against this system (CONTRACT). */
  identity: z._default(z.boolean(), false),
  /** R20: the system is used for outreach, marketing or fundraising contact. */
  outreach: z._default(z.boolean(), false),
  categories: z.array(z.enum(CATEGORIES)).check(z.minLength(1)),
}));

const recordsTableSystem = lazy(() => z.strictObject({ ...common(), type: z.literal('records-table') }));

const kohaSystem = lazy(() =>
  z.strictObject({
    ...common(),
    type: z.literal('koha'),
    /** Koha's REST API root, e.g. https://koha.example.org/api/v1 */
    baseUrl: z.url({ protocol: /^https?$/ }),
    auth: z.discriminatedUnion('type', [
      z.strictObject({ type: z.literal('oauth2'), clientIdEnv: secretName(), clientSecretEnv: secretName() }),
      z.strictObject({ type: z.literal('basic'), userEnv: secretName(), passwordEnv: secretName() }),
    ]),
  }),
);

/** The request kinds a staff member can act on by hand in a system without an API (R19): every kind. */
export const MANUAL_KINDS = REQUEST_KINDS;

const manualSystem = lazy(() =>
  z.strictObject({
    ...common(),
    type: z.literal('manual'),
    /** Every staff member with this role gets the task (CONTRACT). */
    role: z.enum(STAFF_ROLES),
    /** What to do, per request kind; a kind without an instruction does not involve this system. */
    instructions: z.partialRecord(z.enum(MANUAL_KINDS), z.string().check(z.trim(), z.minLength(1), z.maxLength(2000))),
  }),
);

export const systemSchema = z.lazy(() =>
  z.discriminatedUnion('type', [recordsTableSystem(), kohaSystem(), manualSystem()]),
);
export type SystemConfig = z.infer<typeof systemSchema>;
export type SystemType = SystemConfig['type'];

export const systemsFileSchema = z.lazy(() =>
  z.strictObject({ systems: z.array(systemSchema).check(z.minLength(1), z.maxLength(50)) }).check(
    z.superRefine((file, ctx) => {
      const seen = new Set<string>();
      file.systems.forEach((s, i) => {
        if (seen.has(s.id)) ctx.addIssue({ code: 'custom', path: ['systems', i, 'id'], message: 'the same id twice' });
        seen.add(s.id);
      });
      if (!file.systems.some((s) => s.identity))
        ctx.addIssue({ code: 'custom', path: ['systems'], message: 'no system is marked identity: true' });
    }),
  ),
);
export type SystemsFile = z.infer<typeof systemsFileSchema>;

/** Refused whole, with the path of the first bad field and no value echoed (CONTRACT, R5). */
export const parseSystemsFile = (raw: unknown): SystemsFile => parseFile(systemsFileSchema, raw, 'systems file');

/** The systems file as text (a file on `npm start`, `SYSTEMS_JSON` in a function). */
export const systemsFromJson = (text: string): SystemsFile => parseJsonFile(systemsFileSchema, text, 'systems file');

/**
 * A library that names no systems has the built-in records table alone (what every request used
 * before systems were configurable). Written as the schema's output (defaults filled in, keys in the
 * schema's order), not parsed at import, so a cold start builds no systems schema unless it reads a
 * systems file; test/unit/systems.test.ts checks that the schema takes it unchanged.
 */
export const RECORDS_TABLE_ONLY: SystemsFile = {
  systems: [
    {
      id: 'records',
      name: 'Privacy Desk records',
      identity: true,
      outreach: false,
      categories: [
        'personal',
        'residency',
        'credentials',
        'library-records',
        'payments',
        'donations',
        'shared-content',
      ],
      type: 'records-table',
    },
  ],
};

/** The systems a request of this kind reaches: a manual one only where it has an instruction for the kind. */
export function systemsFor(file: SystemsFile, kind: (typeof MANUAL_KINDS)[number]): SystemConfig[] {
  return file.systems.filter((s) => s.type !== 'manual' || s.instructions[kind] !== undefined);
}

/**
 * R19: the names a systems file gives for its secrets (Koha's `clientIdEnv`, `passwordEnv`, …):
 * environment variables on `npm start`, Secrets Manager secret names in AWS. Sorted, each once.
 */
export function systemSecretNames(file: SystemsFile): string[] {
  const names = file.systems.flatMap((s) => {
    if (s.type !== 'koha') return [];
    return s.auth.type === 'oauth2'
      ? [s.auth.clientIdEnv, s.auth.clientSecretEnv]
      : [s.auth.userEnv, s.auth.passwordEnv];
  });
  return [...new Set(names)].sort();
}

/** The system of that id in the file, if any. */
export const systemOf = (file: SystemsFile, systemId: string): SystemConfig | undefined =>
  file.systems.find((s) => s.id === systemId);

/** The name people read for a system: its name in the file, or its id if it has left the file. */
export const systemName = (file: SystemsFile, systemId: string): string => systemOf(file, systemId)?.name ?? systemId;
