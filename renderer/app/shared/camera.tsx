// Reads a QR code, or a numbered sequence of them, from a camera where the platform gives one. The
// camera runs only while its preview is on screen: every track is stopped on a read, on Stop, on
// leaving the view and on error, and no frame is kept (one canvas, emptied when the camera stops).
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { T } from '../text.js';
import { addQrRead, loadQrReader, NO_QR_SCAN, readQrFrame, type QrScan } from './qr.js';

/** A few looks a second: enough to follow a hand, little enough to leave the page responsive. */
const LOOK_EVERY_MS = 250;
/** Frames are read at most this wide or high; a QR code held up to a camera needs no more. */
const MAX_FRAME_SIDE = 960;

/** True where the page can ask for a camera at all (not whether there is one). */
export function canAskForCamera(): boolean {
  return typeof navigator.mediaDevices?.getUserMedia === 'function';
}

/** What went wrong with the camera, said plainly, with what to do instead. */
function cameraProblem(err: unknown): string {
  const name = err instanceof DOMException ? err.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return T.camera.denied;
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return T.camera.none;
  return T.camera.failed;
}

function stopTracks(stream: MediaStream): void {
  for (const track of stream.getTracks()) track.stop();
}

/** Looks at the video's current frame through `canvas` and returns the QR text in it, or null. */
function lookAtFrame(video: HTMLVideoElement, canvas: HTMLCanvasElement): string | null {
  if (video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA || video.videoWidth === 0) return null;
  const k = Math.min(1, MAX_FRAME_SIDE / Math.max(video.videoWidth, video.videoHeight));
  canvas.width = Math.round(video.videoWidth * k);
  canvas.height = Math.round(video.videoHeight * k);
  const g = canvas.getContext('2d', { willReadFrequently: true });
  if (!g) return null;
  g.drawImage(video, 0, 0, canvas.width, canvas.height);
  return readQrFrame(g.getImageData(0, 0, canvas.width, canvas.height));
}

type Note = { text: string; problem: boolean };

/**
 * A "Scan with camera" button (only where the page can ask for a camera) that shows the live
 * preview with a Stop button, and hands the code it reads to `onCode`, the same path as a pasted
 * code or an image file.
 */
export function CameraScan({ onCode }: { onCode(code: string): void }): ReactNode {
  const [open, setOpen] = useState(false);
  const [scan, setScan] = useState<QrScan>(NO_QR_SCAN);
  const [note, setNote] = useState<Note | null>(null);
  const video = useRef<HTMLVideoElement>(null);
  const scanButton = useRef<HTMLButtonElement>(null);
  const stopButton = useRef<HTMLButtonElement>(null);
  const opened = useRef(false);
  const deliver = useRef(onCode);
  useEffect(() => {
    deliver.current = onCode;
  }, [onCode]);

  useEffect(() => {
    // Focus follows the control that replaced the one pressed, so the keyboard never lands on nothing.
    if (open) stopButton.current?.focus();
    else if (opened.current) scanButton.current?.focus();
    opened.current ||= open;
    if (!open) return;
    const el = video.current!;
    const canvas = document.createElement('canvas');
    let stream: MediaStream | null = null;
    let timer: ReturnType<typeof setInterval> | undefined;
    let over = false;
    let seen = NO_QR_SCAN;
    const close = (n: Note): void => {
      if (over) return;
      setNote(n);
      setOpen(false);
    };
    const look = (): void => {
      const text = lookAtFrame(el, canvas);
      if (text === null || over) return;
      const next = addQrRead(seen, text);
      if (next === seen) return;
      seen = next;
      if (next.code === null) return setScan(next);
      close({ text: T.camera.read, problem: false });
      deliver.current(next.code);
    };
    Promise.all([navigator.mediaDevices.getUserMedia({ video: true, audio: false }), loadQrReader()]).then(
      ([s]) => {
        if (over) return stopTracks(s);
        stream = s;
        for (const track of s.getTracks()) track.addEventListener('ended', () => close({ text: T.camera.lost, problem: true }));
        el.srcObject = s;
        el.play().catch(() => undefined);
        timer = setInterval(look, LOOK_EVERY_MS);
      },
      (err: unknown) => close({ text: cameraProblem(err), problem: true }),
    );
    return () => {
      over = true;
      clearInterval(timer);
      if (stream) stopTracks(stream);
      el.srcObject = null;
      canvas.width = 0;
      canvas.height = 0;
    };
  }, [open]);

  if (!canAskForCamera()) return null;
  const start = (): void => {
    setNote(null);
    setScan(NO_QR_SCAN);
    setOpen(true);
  };
  return (
    <div className="camera">
      {open ? (
        <div role="group" aria-label={T.camera.preview} className="camera-preview">
          <video ref={video} muted playsInline aria-label={T.camera.video} />
          <p role="status">{scan.total > 1 ? T.camera.partsRead(scan.read, scan.total) : T.camera.looking}</p>
          <button ref={stopButton} type="button" onClick={() => setOpen(false)}>
            {T.camera.stop}
          </button>
        </div>
      ) : (
        <button ref={scanButton} type="button" onClick={start}>
          {T.camera.scan}
        </button>
      )}
      {note ? (
        <p role={note.problem ? 'alert' : 'status'} className={note.problem ? 'error' : undefined}>
          {note.text}
        </p>
      ) : null}
    </div>
  );
}
