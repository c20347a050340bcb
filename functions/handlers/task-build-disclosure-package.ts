import * as z from '../domain/zod.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { deliverDisclosurePackage } from '../app/disclosure-package.ts';

const input = z.lazy(() => z.strictObject({ requestId: z.uuid() }));

/** R14: the permitted categories to the third party, the patron told, then the third party's contact erased (R16). */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'build-disclosure-package', input, async ({ requestId }) => {
    await deliverDisclosurePackage(deps, requestId);
    return { delivered: true };
  });

export const handler = lambdaEntry(createHandler);
