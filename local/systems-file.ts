import { readFile } from 'node:fs/promises';
import { InvalidInputError } from '../functions/domain/errors.ts';
import { parseSystemsFile, type SystemsFile } from '../functions/domain/systems.ts';

/**
 * `DSR_SYSTEMS` (CONTRACT.md): the systems file, refused whole before anything starts. The error
 * names the first bad field's path; a JSON syntax error says only that (its message would quote
 * the file, R5).
 */
export async function readSystemsFile(path: string): Promise<SystemsFile> {
  // Files saved by Windows editors often start with a byte-order mark, which JSON.parse rejects.
  const text = (await readFile(path, 'utf8')).replace(/^\uFEFF/, '');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new InvalidInputError('systems file is not valid JSON');
  }
  return parseSystemsFile(raw);
}
