/** Loading built Lambda bundles as Lambda's init does: an import in a fresh Node process. */
import { spawn, spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

/** Imports `file` in a fresh Node process (this one's, the project's Node 24), as Lambda's init does: '' if it loads, else its error. */
export function load(file: string): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', 'await import(process.argv[1]);', pathToFileURL(file).href],
      { env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    // Node prints the failing source line first: keep the error's own line, short.
    child.on('close', (code) =>
      resolve(code === 0 ? '' : (/^\w*Error\b.*$/m.exec(stderr)?.[0] ?? stderr).slice(0, 400)),
    );
  });
}

/** The names an ES module exports, read in a fresh Node process. */
export function exportsOf(file: string): string[] {
  const code = 'const m = await import(process.argv[1]); process.stdout.write(JSON.stringify(Object.keys(m)));';
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', code, pathToFileURL(file).href], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1' },
  });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as string[];
}

/** `load` for every file, a few processes at a time: file → '' or its error. */
export async function loadAll(files: string[], inFlight = 3): Promise<Record<string, string>> {
  const results: Record<string, string> = {};
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < files.length; i = next++) results[files[i]!] = await load(files[i]!);
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return results;
}
