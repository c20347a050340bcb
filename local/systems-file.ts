import { readFile } from 'node:fs/promises';
import { systemsFromJson, type SystemsFile } from '../functions/domain/systems.ts';

/** `DSR_SYSTEMS` (CONTRACT.md): the systems file, refused whole before anything starts. */
export const readSystemsFile = async (path: string): Promise<SystemsFile> =>
  systemsFromJson(await readFile(path, 'utf8'));
