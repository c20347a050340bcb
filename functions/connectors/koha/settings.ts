import * as z from '../../domain/zod.ts';
import { CATEGORIES } from '../../domain/categories.ts';
import { InvalidInputError } from '../../domain/errors.ts';

/** A Koha entry of the systems file (CONTRACT.md): secrets are named, never written in it. */
export const kohaSystemSchema = z.lazy(() =>
  z.strictObject({
    id: z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{0,39}$/)),
    type: z.literal('koha'),
    name: z.string().check(z.minLength(1), z.maxLength(100)),
    baseUrl: z.url({ protocol: /^https?$/ }),
    auth: z.discriminatedUnion('type', [
      z.strictObject({
        type: z.literal('oauth2'),
        clientIdEnv: z.string().check(z.minLength(1)),
        clientSecretEnv: z.string().check(z.minLength(1)),
      }),
      z.strictObject({
        type: z.literal('basic'),
        userEnv: z.string().check(z.minLength(1)),
        passwordEnv: z.string().check(z.minLength(1)),
      }),
    ]),
    identity: z._default(z.boolean(), false),
    categories: z.array(z.enum(CATEGORIES)).check(z.minLength(1)),
    timeoutMs: z.optional(z.number().check(z.int(), z.positive(), z.lte(120_000))),
    pageSize: z.optional(z.number().check(z.int(), z.gte(1), z.lte(1000))),
  }),
);
export type KohaSystem = z.infer<typeof kohaSystemSchema>;

export type KohaAuth =
  { type: 'oauth2'; clientId: string; clientSecret: string } | { type: 'basic'; user: string; password: string };

/** What the connector runs with: the systems-file entry with its secrets resolved. */
export interface KohaSettings {
  systemId: string;
  /** Koha's API root, e.g. `https://koha.example.org/api/v1`. */
  baseUrl: string;
  auth: KohaAuth;
  timeoutMs: number;
  pageSize: number;
}

export const KOHA_DEFAULT_TIMEOUT_MS = 10_000;
/** Koha caps `_per_page` by its own preference; 100 keeps each answer small and the round trips few. */
export const KOHA_DEFAULT_PAGE_SIZE = 100;

/** Resolves the named secrets from the environment; a missing one is named, its value never shown. */
export function kohaSettings(system: KohaSystem, env: NodeJS.ProcessEnv): KohaSettings {
  const need = (name: string): string => {
    const value = env[name];
    if (!value) throw new InvalidInputError(`system ${system.id}: environment variable ${name} is not set`);
    return value;
  };
  const auth: KohaAuth =
    system.auth.type === 'oauth2'
      ? { type: 'oauth2', clientId: need(system.auth.clientIdEnv), clientSecret: need(system.auth.clientSecretEnv) }
      : { type: 'basic', user: need(system.auth.userEnv), password: need(system.auth.passwordEnv) };
  return {
    systemId: system.id,
    baseUrl: system.baseUrl.replace(/\/+$/, ''),
    auth,
    timeoutMs: system.timeoutMs ?? KOHA_DEFAULT_TIMEOUT_MS,
    pageSize: system.pageSize ?? KOHA_DEFAULT_PAGE_SIZE,
  };
}
