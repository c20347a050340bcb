/**
 * The one way `functions/` imports zod: its functional build (`zod/mini`), whose schemas are
 * smaller to bundle and cheaper to build at a cold start than the classic API's (README, Bundle
 * size and cold start). `zod/mini` carries no messages of its own; the English ones the classic
 * build set are set here, so what a client is told about a bad field (the problem documents,
 * functions/lib/http.ts) does not change. This module's side effect is declared in package.json
 * (`sideEffects`) so bundling keeps it; eslint.config.js forbids importing zod any other way here.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
