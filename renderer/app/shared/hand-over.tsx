// A document for another laptop: its text code (to copy), a file (to save) and QR code(s) (to scan).
import { useEffect, useState, type ReactNode } from 'react';
import type { HandOver } from '../../../src/core/ipc.js';
import { T } from '../text.js';
import { qrImage, qrParts } from './qr.js';
import { Field, saveFile } from './ui.js';

/** Shows one hand-over: text code, copy, save, and the QR sequence. */
export function HandOverPanel({ handOver, title }: { handOver: HandOver; title: string }): ReactNode {
  const [images, setImages] = useState<string[]>([]);
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    let live = true;
    void Promise.all(qrParts(handOver.code).map(qrImage)).then((urls) => live && setImages(urls));
    return () => {
      live = false;
    };
  }, [handOver.code]);
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(handOver.code);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <section className="hand-over" aria-label={title}>
      <h3>{title}</h3>
      <Field label={T.handOver.code}>{(id) => <textarea id={id} readOnly rows={4} value={handOver.code} className="code" />}</Field>
      <div className="actions">
        <button type="button" onClick={() => void copy()}>
          {T.handOver.copy}
        </button>
        <button type="button" onClick={() => saveFile(handOver.fileName, handOver.fileText)}>
          {T.handOver.save}
        </button>
        {copied ? <span role="status">{T.handOver.copied}</span> : null}
      </div>
      <p className="hint">{T.handOver.qrHint(images.length)}</p>
      <div className="qr-row">
        {images.map((src, i) => (
          <figure key={src}>
            <img src={src} alt={T.handOver.qr(i + 1, images.length)} className="qr" />
            <figcaption>{T.handOver.qr(i + 1, images.length)}</figcaption>
          </figure>
        ))}
      </div>
    </section>
  );
}
