// QR hand-over in the page: drawing a code's QR images, and reading QR images chosen as files or
// seen by a camera. The QR libraries are more than half the app's script and the vault view needs
// neither, so each is fetched (a chunk of the app itself, as the CSP allows) when first used.
import type jsQRType from 'jsqr';
import { joinQrParts } from './qr-sequence.js';

let reader: typeof jsQRType | null = null;

/** Loads the QR reader; `readQrFrame` reads nothing until it has. */
export async function loadQrReader(): Promise<typeof jsQRType> {
  reader ??= (await import('jsqr')).default;
  return reader;
}

export { joinQrParts, qrParts, QR_PART_CHARS } from './qr-sequence.js';

/** The image of one QR code, as a data: URL (the CSP allows data: images only). */
export async function qrImage(text: string): Promise<string> {
  const { default: QRCode } = await import('qrcode');
  return QRCode.toDataURL(text, { errorCorrectionLevel: 'M', margin: 4, scale: 4 });
}

/** Reads the QR code in an image file, or null when there is none. */
export async function readQrFile(file: File): Promise<string | null> {
  const jsQR = await loadQrReader();
  const bitmap = await createImageBitmap(file);
  const canvas = document.createElement('canvas');
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const g = canvas.getContext('2d');
  if (!g) return null;
  g.drawImage(bitmap, 0, 0);
  const pixels = g.getImageData(0, 0, bitmap.width, bitmap.height);
  return jsQR(pixels.data, pixels.width, pixels.height)?.data ?? null;
}

/** Reads the QR code in one camera frame, or null (also before `loadQrReader`); dark on light only, to keep up with the frames. */
export function readQrFrame(pixels: ImageData): string | null {
  return reader?.(pixels.data, pixels.width, pixels.height, { inversionAttempts: 'dontInvert' })?.data ?? null;
}

/** Where a camera's reading stands: the parts of a numbered sequence seen so far, or the whole code. */
export interface QrScan {
  readonly parts: readonly string[];
  readonly read: number;
  readonly total: number;
  readonly code: string | null;
}

export const NO_QR_SCAN: QrScan = { parts: [], read: 0, total: 0, code: null };

/**
 * Adds one QR text read from a camera frame. A plain code is complete at once; the parts of a
 * numbered sequence are collected across frames (a part of another sequence starts over) and put
 * together with `joinQrParts`, as the image files are. A damaged sequence header is skipped.
 */
export function addQrRead(scan: QrScan, text: string): QrScan {
  if (!text.startsWith('BGQR:')) return { parts: [text], read: 1, total: 1, code: text };
  const m = /^BGQR:(\d+)\/(\d+):/.exec(text);
  if (!m) return scan;
  const [index, total] = [Number(m[1]), Number(m[2])];
  if (index < 1 || index > total) return scan;
  const prefix = `BGQR:${m[1]}/${m[2]}:`;
  const kept = total === scan.total ? scan.parts.filter((p) => !p.startsWith(prefix)) : [];
  const parts = [...kept, text];
  const joined = joinQrParts(parts);
  return { parts, read: parts.length, total, code: joined.ok ? joined.code : null };
}
