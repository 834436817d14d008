import { useState, type FormEvent, type ReactNode } from 'react';

import { api, ApiProblem } from '../api';
import { humanize, localTime, withLocalOffset } from '../evidence';
import type { ItemView, Problem, User } from '../types';
import { Field, FormActions, HashResult, ProblemBanner, SignatureFields } from '../ui';

interface ImportPreview {
  readonly formatLabel: string;
  readonly target: string;
  readonly role: 'reference' | 'verification';
  readonly occurredAt: string;
  readonly timeZoneAssumed: string | null;
  readonly values: ReadonlyArray<{ algorithm: string; value: string; result?: string }>;
  readonly warnings: ReadonlyArray<{ code: string; message: string }>;
  readonly examiner: string | null;
  readonly source: { readonly tool: string; readonly toolVersion: string | null; readonly reportedResult: string };
}

/**
 * Hashes from the acquisition tool's log (docs/hash-import.md): the examiner pastes the log's text,
 * sees exactly what would be recorded (a dry run), confirms any warning, and signs. The log itself
 * is not kept, only its SHA-256 and what was read from it.
 */
export function ImportLogForm({
  user,
  item,
  onDone,
  onCancel,
}: {
  user: User;
  item: ItemView;
  onDone: (message: string) => void;
  onCancel: () => void;
}): ReactNode {
  const [text, setText] = useState('');
  const [target, setTarget] = useState('');
  const [occurredAt, setOccurredAt] = useState('');
  // A log that prints times without a zone is read in the account's zone, else this computer's.
  const [timeZone, setTimeZone] = useState(user.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone);
  const [preview, setPreview] = useState<ImportPreview | null>(null);
  const [confirmed, setConfirmed] = useState<readonly string[]>([]);
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);
  const body = (): Record<string, unknown> => ({
    text,
    ...(target.trim() ? { target: target.trim() } : {}),
    ...(occurredAt ? { occurredAt: withLocalOffset(occurredAt) } : {}),
    ...(timeZone.trim() ? { timeZone: timeZone.trim() } : {}),
  });

  const check = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setProblem(null);
    setPreview(null);
    setConfirmed([]);
    try {
      setPreview(
        (await api.post<{ import: ImportPreview }>(`/items/${item.id}/hashes/import`, { ...body(), dryRun: true }))
          .import,
      );
    } catch (error) {
      if (error instanceof ApiProblem) setProblem(error.problem);
    }
  };

  const record = async (): Promise<void> => {
    if (preview === null) return;
    setProblem(null);
    const reference = preview.role === 'reference';
    try {
      await api.post(`/items/${item.id}/hashes/import`, {
        ...body(),
        confirm: confirmed,
        ...(password !== '' || reference
          ? { signature: { password, meaning: reference ? 'acquired' : 'verified' } }
          : {}),
      });
      onDone(
        reference
          ? `Reference hashes of “${preview.target}” imported from the ${preview.formatLabel} and signed.`
          : `Verification of “${preview.target}” imported from the ${preview.formatLabel}.`,
      );
    } catch (error) {
      if (error instanceof ApiProblem) setProblem(error.problem);
      setPassword('');
    }
  };

  const unconfirmed = preview?.warnings.filter((warning) => !confirmed.includes(warning.code)) ?? [];
  return (
    <form className="card" onSubmit={(event) => void check(event)} aria-labelledby="import-title">
      <h2 id="import-title">Import hashes of {item.itemNumber} from a log</h2>
      <p className="muted">
        Paste the text of the acquisition tool’s log (FTK Imager, Guymager, ewfacquire/ewfverify, dc3dd, UFED,
        sha256sum, hashdeep). Only what is read from it and its SHA-256 are kept, never the log.
      </p>
      <ProblemBanner problem={problem} fields={['text', 'target', 'timeZone', 'occurredAt', 'signature']} />
      <Field label="Log text" name="text" problem={problem} wide>
        {(attributes) => (
          <textarea
            {...attributes}
            className="mono"
            rows={10}
            spellCheck={false}
            autoFocus
            required
            value={text}
            onChange={(event) => {
              setText(event.target.value);
              setPreview(null);
            }}
          />
        )}
      </Field>
      <Field
        label="What was hashed (target), if the log lists several files"
        name="target"
        problem={problem}
        hint="default: device, or the one file listed"
      >
        {(attributes) => <input {...attributes} value={target} onChange={(event) => setTarget(event.target.value)} />}
      </Field>
      <Field
        label="Time zone of the log’s clock, if it prints none"
        name="timeZone"
        problem={problem}
        hint="IANA name, e.g. Europe/Madrid; the import says it was assumed"
      >
        {(attributes) => (
          <input {...attributes} value={timeZone} onChange={(event) => setTimeZone(event.target.value)} />
        )}
      </Field>
      <Field
        label="Computed at, if the log prints no time"
        name="occurredAt"
        problem={problem}
        hint="sha256sum and hashdeep lists print none"
      >
        {(attributes) => (
          <input
            {...attributes}
            type="datetime-local"
            value={occurredAt}
            onChange={(event) => setOccurredAt(event.target.value)}
          />
        )}
      </Field>
      <FormActions submit="Read the log" tone={null} onCancel={onCancel} />
      {preview !== null && (
        <section aria-label="What would be recorded">
          <h3>
            {preview.formatLabel}: {preview.role === 'reference' ? 'the reference' : 'a verification'} of “
            {preview.target}”
          </h3>
          <p className="muted">
            Computed {localTime(preview.occurredAt)} with {preview.source.tool}
            {preview.source.toolVersion ? ` ${preview.source.toolVersion}` : ''}
            {preview.examiner ? `, by ${preview.examiner} as the log says` : ''}; the tool reported:{' '}
            {humanize(preview.source.reportedResult)}.
          </p>
          <table>
            <thead>
              <tr>
                <th scope="col">Algorithm</th>
                <th scope="col">Value</th>
                <th scope="col">Result</th>
              </tr>
            </thead>
            <tbody>
              {preview.values.map((value) => (
                <tr key={value.algorithm}>
                  <td>{value.algorithm}</td>
                  <td className="mono">{value.value}</td>
                  <td>
                    {value.result === undefined ? (
                      <span className="badge">reference</span>
                    ) : (
                      <HashResult result={value.result} />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {preview.warnings.map((warning) => (
            <label key={warning.code} className="check-label import-warning">
              <input
                type="checkbox"
                checked={confirmed.includes(warning.code)}
                onChange={(event) =>
                  setConfirmed((all) =>
                    event.target.checked ? [...all, warning.code] : all.filter((code) => code !== warning.code),
                  )
                }
              />{' '}
              {warning.message} — I have checked this and confirm it.
            </label>
          ))}
          <SignatureFields
            who={user.displayName}
            meaning={preview.role === 'reference' ? 'acquired' : 'verified'}
            statement={
              preview.role === 'reference'
                ? 'These values, read from the tool’s log, are the evidence’s reference.'
                : 'These values, read from the tool’s log, verify the evidence.'
            }
            password={password}
            onPassword={setPassword}
            problem={problem}
            optional={preview.role !== 'reference'}
          />
          <div className="actions">
            <button type="button" className="primary" disabled={unconfirmed.length > 0} onClick={() => void record()}>
              {preview.role === 'reference' ? 'Sign and import' : 'Import'}
            </button>
          </div>
        </section>
      )}
    </form>
  );
}
