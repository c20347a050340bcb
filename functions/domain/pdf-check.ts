import { inflateSync } from 'node:zlib';

/**
 * R12: a court order is opened by counsel, the privacy officer and the director, so what counsel
 * uploads must be a plain document: a PDF by its structure (not its name or declared type), complete,
 * readable without a password, and free of what a PDF reader would run or open by itself.
 *
 * Dictionaries are plain text in a PDF except inside object streams (`/Type /ObjStm`), which hold
 * further objects compressed: those are inflated and read too. Page content and images cannot carry
 * an action, so they are not unpacked (a large scan stays cheap to check).
 */
export type PdfVerdict =
  { ok: true } | { ok: false; reason: 'not-a-pdf' | 'incomplete' | 'encrypted' | 'active-content' | 'unreadable' };

/** Names a reader acts on by itself: scripts, launching programs, embedded files, forms that post. */
const ACTIVE_NAMES = [
  'JavaScript',
  'JS',
  'Launch',
  'EmbeddedFile',
  'EmbeddedFiles',
  'RichMedia',
  'XFA',
  'SubmitForm',
  'ImportData',
];

/** A PDF name ends at white space or a delimiter (ISO 32000-1, 7.2.2). */
const NAME = /\/([^\s()<>[\]{}/%]*)/g;
/** An object stream may unpack to at most this much; real ones are a few hundred KB. */
export const MAX_OBJECT_STREAM_BYTES = 16 * 1024 * 1024;

/** `#xx` in a name is the byte xx: `/J#61vaScript` is `/JavaScript` to every reader. */
const decodeName = (raw: string): string =>
  raw.replace(/#([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));

function namesIn(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(NAME)) names.add(decodeName(m[1] ?? ''));
  return names;
}

interface Stream {
  dictionary: string;
  data: Buffer;
  start: number;
  end: number;
}

/** Each `stream … endstream` with the dictionary of its object (text since the object began). */
function streamsOf(bytes: Buffer, text: string): Stream[] {
  const streams: Stream[] = [];
  const start = /\bstream\r?\n/g;
  let m: RegExpExecArray | null;
  while ((m = start.exec(text))) {
    const objectStart = text.lastIndexOf(' obj', m.index);
    const dictionary = text.slice(objectStart < 0 ? 0 : objectStart, m.index);
    const dataStart = m.index + m[0].length;
    const end = text.indexOf('endstream', dataStart);
    if (end < 0) break;
    streams.push({ dictionary, data: bytes.subarray(dataStart, end), start: dataStart, end });
    start.lastIndex = end;
  }
  return streams;
}

/** The file's text with every stream's bytes left out: binary data is not read as names. */
function outsideStreams(text: string, streams: Stream[]): string {
  const parts: string[] = [];
  let at = 0;
  for (const s of streams) {
    parts.push(text.slice(at, s.start));
    at = s.end;
  }
  parts.push(text.slice(at));
  return parts.join(' ');
}

function objectStreamText(stream: Stream): string | undefined {
  const names = namesIn(stream.dictionary);
  if (!names.has('Filter')) return stream.data.toString('latin1');
  // Only Flate is unpacked; any other filter on an object stream hides its objects from this check.
  const filters = [...names].filter((n) => n.endsWith('Decode'));
  if (filters.length !== 1 || filters[0] !== 'FlateDecode') return undefined;
  try {
    return inflateSync(stream.data, { maxOutputLength: MAX_OBJECT_STREAM_BYTES }).toString('latin1');
  } catch {
    return undefined;
  }
}

const hasActiveName = (names: Set<string>) => ACTIVE_NAMES.some((n) => names.has(n));

/** Where the file's content ends: white space and NUL padding after `%%EOF` are allowed. */
function endOfContent(bytes: Buffer): number {
  let end = bytes.length;
  while (end > 0 && [0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20].includes(bytes[end - 1]!)) end--;
  return end;
}

export function checkPdf(bytes: Buffer): PdfVerdict {
  // At the very start: readers tolerate leading junk, which is how a file passes as two types at once.
  if (!/^%PDF-[12]\.\d/.test(bytes.subarray(0, 8).toString('latin1'))) return { ok: false, reason: 'not-a-pdf' };
  const text = bytes.toString('latin1');
  // A file cut off in transfer has no end-of-file marker in its last kilobyte, or no document root.
  if (
    !bytes
      .subarray(Math.max(0, endOfContent(bytes) - 1024))
      .toString('latin1')
      .includes('%%EOF')
  )
    return { ok: false, reason: 'incomplete' };
  const streams = streamsOf(bytes, text);
  const names = namesIn(outsideStreams(text, streams));
  if (!names.has('Root') && !names.has('Catalog')) return { ok: false, reason: 'incomplete' };
  if (names.has('Encrypt')) return { ok: false, reason: 'encrypted' };
  if (hasActiveName(names)) return { ok: false, reason: 'active-content' };
  for (const stream of streams) {
    if (!namesIn(stream.dictionary).has('ObjStm')) continue;
    const inner = objectStreamText(stream);
    if (inner === undefined) return { ok: false, reason: 'unreadable' };
    if (hasActiveName(namesIn(inner))) return { ok: false, reason: 'active-content' };
  }
  return { ok: true };
}
