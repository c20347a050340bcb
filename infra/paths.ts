import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** Repository root: infra/ lives one level below it, whichever process (cdk CLI, vitest) loads us. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export const WORKFLOWS_DIR = join(REPO_ROOT, 'workflows');
export const HANDLERS_DIR = join(REPO_ROOT, 'functions', 'handlers');
export const LOCK_FILE = join(REPO_ROOT, 'package-lock.json');
export const WEB_DIR = join(REPO_ROOT, 'web');
/** Lambda code that belongs to the infrastructure, not the application (the origin authorizer). */
export const INFRA_FUNCTIONS_DIR = join(REPO_ROOT, 'infra', 'functions');
