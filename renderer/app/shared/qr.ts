// QR hand-over in the page: drawing a code's QR images, and reading QR images chosen as files.
import jsQR from 'jsqr';
import QRCode from 'qrcode';

export { joinQrParts, qrParts, QR_PART_CHARS } from './qr-sequence.js';

/** The image of one QR code, as a data: URL (the CSP allows data: images only). */
export function qrImage(text: string): Promise<string> {
  return QRCode.toDataURL(text, { errorCorrectionLevel: 'M', margin: 4, scale: 4 });
}

/** Reads the QR code in an image file, or null when there is none. */
export async function readQrFile(file: File): Promise<string | null> {
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
