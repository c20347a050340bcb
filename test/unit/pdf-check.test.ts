import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkPdf, MAX_OBJECT_STREAM_BYTES } from '../../functions/domain/pdf-check.ts';
import { pdf } from '../support/court-orders.ts';

/** A PDF whose catalog carries `catalogExtra`, plus any further objects given as text. */
const build = (catalogExtra = '', objects = ''): Buffer =>
  Buffer.from(
    `%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R ${catalogExtra} >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n${objects}trailer << /Root 1 0 R >>\n%%EOF\n`,
    'latin1',
  );

/** An object stream (compressed objects) holding `inner`, as PDF 1.5+ writers make them. */
const objectStream = (
  inner: string,
  filter = '/Filter /FlateDecode',
  data = deflateSync(Buffer.from(inner, 'latin1')),
) =>
  Buffer.concat([
    Buffer.from(
      `%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n5 0 obj << /Type /ObjStm /N 1 /First 4 ${filter} /Length ${data.length} >>\nstream\n`,
      'latin1',
    ),
    data,
    Buffer.from('\nendstream\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1'),
  ]);

describe('a court order must be a plain, complete PDF (R12)', () => {
  it('accepts the real PDFs the tests upload, and one with a compressed object stream of plain objects', () => {
    expect(checkPdf(pdf())).toEqual({ ok: true });
    expect(checkPdf(build('/OpenAction [2 0 R /Fit] /URI (https://court.example)'))).toEqual({ ok: true });
    expect(checkPdf(objectStream('3 0 << /Type /Page /Parent 2 0 R >>'))).toEqual({ ok: true });
  });

  it('R12: refuses what is not a PDF whatever it is called, and a PDF cut off in transfer', () => {
    expect(checkPdf(Buffer.from('<html><script>alert(1)</script></html>'))).toEqual({ ok: false, reason: 'not-a-pdf' });
    expect(checkPdf(Buffer.alloc(0))).toEqual({ ok: false, reason: 'not-a-pdf' });
    const whole = build();
    expect(checkPdf(whole.subarray(0, whole.length - 12))).toEqual({ ok: false, reason: 'incomplete' });
    expect(checkPdf(Buffer.from('%PDF-1.7\n%%EOF\n'))).toEqual({ ok: false, reason: 'incomplete' });
  });

  it('R12: refuses scripts, launch actions, embedded files and forms that post, however their names are spelled', () => {
    for (const extra of [
      '/OpenAction << /S /JavaScript /JS (app.alert(1)) >>',
      '/AA << /O << /S /Launch /F (cmd.exe) >> >>',
      '/Names << /EmbeddedFiles 9 0 R >>',
      '/AcroForm << /XFA 9 0 R >>',
      '/OpenAction << /S /SubmitForm /F (https://evil.example) >>',
      // `#xx` escapes in a name are the same name to a reader.
      '/OpenAction << /S /J#61vaScript /J#53 (x) >>',
    ])
      expect(checkPdf(build(extra)), extra).toEqual({ ok: false, reason: 'active-content' });
  });

  it('R12: finds a script hidden in a compressed object stream', () => {
    expect(checkPdf(objectStream('3 0 << /S /JavaScript /JS (app.alert(1)) >>'))).toEqual({
      ok: false,
      reason: 'active-content',
    });
  });

  it('R12: refuses an object stream it cannot read (a filter it does not unpack, corrupt data, a decompression bomb)', () => {
    expect(checkPdf(objectStream('3 0 << >>', '/Filter /LZWDecode', Buffer.from('xyz')))).toEqual({
      ok: false,
      reason: 'unreadable',
    });
    expect(checkPdf(objectStream('', '/Filter /FlateDecode', Buffer.from('not deflate')))).toEqual({
      ok: false,
      reason: 'unreadable',
    });
    const bomb = deflateSync(Buffer.alloc(MAX_OBJECT_STREAM_BYTES + 1, 0x20));
    expect(checkPdf(objectStream('', '/Filter /FlateDecode', bomb))).toEqual({ ok: false, reason: 'unreadable' });
  });

  it('R12: refuses an encrypted PDF (nothing in it can be checked) with its own reason', () => {
    expect(checkPdf(build('', 'trailer << /Encrypt 7 0 R >>\n'))).toEqual({ ok: false, reason: 'encrypted' });
  });

  it('does not read names out of binary data (an image that happens to hold "/JS ")', () => {
    const image = Buffer.concat([
      Buffer.from(
        '%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n4 0 obj << /Type /XObject /Subtype /Image /Filter /DCTDecode >>\nstream\n',
        'latin1',
      ),
      Buffer.from([0xff, 0xd8, 0x2f, 0x4a, 0x53, 0x20, 0x00, 0xff, 0xd9]),
      Buffer.from('\nendstream\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1'),
    ]);
    expect(checkPdf(image)).toEqual({ ok: true });
  });
});
