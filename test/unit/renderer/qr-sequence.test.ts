import { describe, expect, it } from 'vitest';
import { joinQrParts, qrParts, QR_PART_CHARS } from '../../../renderer/app/shared/qr-sequence.js';

describe('QR sequences', () => {
  const long = `BGV1-REQUEST:${'x'.repeat(QR_PART_CHARS * 2)}tail`;

  it('keeps a short code as one QR code, unchanged', () => {
    expect(qrParts('BGV1-APPROVAL:abc')).toEqual(['BGV1-APPROVAL:abc']);
    expect(joinQrParts(['BGV1-APPROVAL:abc'])).toEqual({ ok: true, code: 'BGV1-APPROVAL:abc' });
  });

  it('splits a long code into a numbered sequence that reassembles exactly, in any order', () => {
    const parts = qrParts(long);
    expect(parts.map((p) => p.slice(0, 9))).toEqual(['BGQR:1/3:', 'BGQR:2/3:', 'BGQR:3/3:']);
    expect(joinQrParts([parts[2]!, parts[0]!, parts[1]!])).toEqual({ ok: true, code: long });
  });

  it('names the missing part, a foreign image, and a mix of two sequences', () => {
    const parts = qrParts(long);
    expect(joinQrParts([parts[0]!, parts[2]!])).toEqual({ ok: false, message: 'QR code 2 of 3 is missing' });
    expect(joinQrParts([parts[0]!, 'https://example.com'])).toEqual({
      ok: false,
      message: 'one of the images is not a Break Glass QR code',
    });
    expect(joinQrParts([parts[0]!, qrParts(`${long}${'y'.repeat(QR_PART_CHARS)}`)[1]!])).toEqual({
      ok: false,
      message: 'these QR codes belong to different sequences',
    });
  });
});
