// Takes a document from another laptop: pasted as a text code, opened as a file, or read from QR
// images (files, or a camera where there is one). Every way ends in the same field.
import { useState, type ReactNode } from 'react';
import { T } from '../text.js';
import { CameraScan } from './camera.js';
import { joinQrParts, readQrFile } from './qr.js';
import { Field } from './ui.js';

/** A code field with a file picker, a QR image picker and a camera scan that fill it. */
export function CodeInput(props: {
  codeLabel: string;
  fileLabel: string;
  qrLabel: string;
  value: string;
  onChange(value: string): void;
}): ReactNode {
  const [problem, setProblem] = useState<string | null>(null);
  const openFile = async (files: FileList | null): Promise<void> => {
    const file = files?.[0];
    if (!file) return;
    setProblem(null);
    props.onChange(await file.text());
  };
  const readQr = async (files: FileList | null): Promise<void> => {
    setProblem(null);
    const texts: string[] = [];
    for (const file of Array.from(files ?? [])) {
      const text = await readQrFile(file).catch(() => null);
      if (text === null) return setProblem(T.codeInput.noQr(file.name));
      texts.push(text);
    }
    if (texts.length === 0) return;
    const joined = joinQrParts(texts);
    if (joined.ok) props.onChange(joined.code);
    else setProblem(T.codeInput.qrParts(joined.message));
  };
  return (
    <div className="code-input">
      <Field label={props.codeLabel}>
        {(id) => (
          <textarea
            id={id}
            rows={4}
            className="code"
            value={props.value}
            onChange={(e) => {
              setProblem(null);
              props.onChange(e.target.value);
            }}
          />
        )}
      </Field>
      <Field label={props.fileLabel}>
        {(id) => <input id={id} type="file" accept=".json,application/json,text/plain" onChange={(e) => void openFile(e.target.files)} />}
      </Field>
      <Field label={props.qrLabel}>
        {(id) => <input id={id} type="file" accept="image/*" multiple onChange={(e) => void readQr(e.target.files)} />}
      </Field>
      <CameraScan
        onCode={(code) => {
          setProblem(null);
          props.onChange(code);
        }}
      />
      {problem ? (
        <p role="alert" className="error">
          {problem}
        </p>
      ) : null}
    </div>
  );
}
