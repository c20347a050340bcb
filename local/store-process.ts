import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

export interface StoreProcess {
  /** The store's HTTP endpoint, on 127.0.0.1 only. */
  endpoint: string;
  /** Its process id: the benchmarks read the CPU time it used. */
  pid: number | undefined;
  /** Closes the store (its LevelDB files flushed), then ends its process. */
  stop(): Promise<void>;
}

/**
 * `npm start`'s embedded DynamoDB (dynalite) in a process of its own. In the runtime's process it
 * parsed and answered every store call on the one thread that also answers people and runs the
 * workflows' steps, so a submission's answer waited behind the store's work for other requests; in
 * its own process it has the machine's other core (README, Performance: the load run). The process
 * listens on 127.0.0.1 only and ends with its parent: when the IPC channel closes (the runtime
 * stopped or died), it closes the store and exits, so no store outlives `npm start`.
 */
export async function startStoreProcess(opts: { path?: string } = {}): Promise<StoreProcess> {
  const dynalite = createRequire(import.meta.url).resolve('dynalite');
  const options = { ...(opts.path ? { path: opts.path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 };
  const program = `
const store = require(${JSON.stringify(dynalite)})(${JSON.stringify(options)});
const end = () => store.close(() => process.exit(0));
store.listen(0, '127.0.0.1', () => process.send(store.address().port));
process.on('disconnect', end);
process.on('SIGTERM', end);
process.on('SIGINT', () => {}); // Ctrl+C reaches the whole group: the parent stops the store in its turn.
`;
  const child = spawn(process.execPath, ['-e', program], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ended = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => (typeof m === 'number' ? resolve(m) : reject(new Error('the store did not start'))));
    child.once('exit', (code) => reject(new Error(`the store process ended before listening (exit ${code})`)));
    child.once('error', reject);
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await ended;
    },
  };
}
