import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { systemSecretNames } from '../functions/domain/systems.ts';
import { startRuntime, STOP_GRACE_MS } from './runtime.ts';
import { startStoreProcess, type StoreProcess } from './store-process.ts';
import { readSystemsFile } from './systems-file.ts';

/** `npm start`: the environment CONTRACT.md names, validated, then the whole system. */
const env = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    MAIL_PORT: z.coerce.number().int().min(0).max(65535).default(8005),
    DSR_DATA_DIR: z.string().min(1).default('.dsr-data'),
    DSR_DATASET: z
      .string()
      .min(1)
      .default(fileURLToPath(new URL('./demo-dataset.json', import.meta.url))),
    DSR_SYSTEMS: z
      .string()
      .min(1)
      .default(fileURLToPath(new URL('./demo-systems.json', import.meta.url))),
    DSR_BASE_URL: z.url().optional(),
    DSR_DYNAMODB_ENDPOINT: z.url().optional(),
    LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('WARN'),
  })
  .safeParse(process.env);

if (!env.success) {
  for (const issue of env.error.issues) console.error(`${issue.path.join('.')}: ${issue.message}`);
  process.exit(2);
}
const cfg = env.data;
const dataDir = resolve(cfg.DSR_DATA_DIR);
let store: StoreProcess | undefined;

try {
  // R19: here the systems file's credential names are environment variables, which the connectors
  // read from process.env (Deps.systemSecrets): refuse to start without them, naming them only.
  const systems = await readSystemsFile(resolve(cfg.DSR_SYSTEMS));
  const unset = systemSecretNames(systems).filter((name) => !process.env[name]);
  if (unset.length > 0) throw new Error(`the systems file names ${unset.join(', ')}: set them in the environment`);
  // The embedded store runs beside the runtime, in its own process (local/store-process.ts).
  if (!cfg.DSR_DYNAMODB_ENDPOINT) {
    await mkdir(join(dataDir, 'dynamodb'), { recursive: true, mode: 0o700 });
    store = await startStoreProcess({ path: join(dataDir, 'dynamodb') });
  }
  const dynamodbEndpoint = cfg.DSR_DYNAMODB_ENDPOINT ?? store?.endpoint;
  const runtime = await startRuntime({
    port: cfg.PORT,
    mailPort: cfg.MAIL_PORT,
    dataDir,
    filesDir: resolve(dataDir, 'files'),
    datasetPath: resolve(cfg.DSR_DATASET),
    systemsPath: resolve(cfg.DSR_SYSTEMS),
    ...(cfg.DSR_BASE_URL ? { baseUrl: cfg.DSR_BASE_URL } : {}),
    ...(dynamodbEndpoint ? { dynamodbEndpoint } : {}),
    logLevel: cfg.LOG_LEVEL,
  });
  const mailPage = runtime.mailUrl.replace('127.0.0.1', 'localhost');
  console.log(`
Privacy Desk is running (data in ${dataDir}).

  Patron and guardian forms   ${runtime.baseUrl}/
  Make a request              ${runtime.baseUrl}/request.html
  Mailbox (every email sent)  ${mailPage}/      JSON: ${mailPage}/store
  Staff desk (sign in there)  ${runtime.baseUrl}/staff.html
  Court orders (counsel)      ${runtime.baseUrl}/counsel.html
  Health                      ${runtime.baseUrl}/health
  Systems (DSR_SYSTEMS)       ${systems.systems.map((s) => s.name).join('; ')}

Try it: ask for Ada Lovelace's records (card 21234000012345, last name Lovelace),
then open the mailbox and follow the link. Press Ctrl+C to stop; state is kept.
`);
  const shutdown = async () => {
    console.log(
      `Stopping: steps under way finish first (at most ${STOP_GRACE_MS / 1000} s; Ctrl+C again stops at once).`,
    );
    await runtime.stop();
    await store?.stop();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
} catch (e) {
  // Dataset errors name the bad field (never its value); anything else is a start-up failure.
  console.error(`Privacy Desk could not start: ${e instanceof Error ? e.message : String(e)}`);
  await store?.stop();
  process.exit(1);
}
