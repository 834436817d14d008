import { Children, isValidElement, useEffect, useId, useRef, type ReactNode } from 'react';

import { fieldMessages, plainWords, unplacedProblem } from './api';
import type { Check } from './evidence';
import type { Problem } from './types';

/** Whether the rendered control (or one inside a fragment around it, e.g. an input and its datalist) is `required`. */
function requiresInput(node: ReactNode): boolean {
  if (!isValidElement<{ required?: unknown; children?: ReactNode }>(node)) return false;
  if (node.props.required === true) return true;
  return Children.toArray(node.props.children).some(requiresInput);
}

/**
 * A labelled input with its hint, its live check and the API's messages right under it. A control
 * rendered `required` gets a visible "required" next to its label, outside it: screen readers hear the attribute, and the
 * label's text stays the field's name.
 */
export function Field(props: {
  label: ReactNode;
  name?: string;
  problem?: Problem | null;
  messages?: readonly string[];
  hint?: string;
  check?: Check | null;
  children: (attributes: {
    id: string;
    'aria-invalid': boolean;
    'aria-describedby': string | undefined;
    name?: string;
  }) => ReactNode;
  wide?: boolean;
}): ReactNode {
  const id = useId();
  const errors = [
    ...(props.messages ?? []),
    ...(props.name === undefined ? [] : fieldMessages(props.problem ?? null, props.name)),
  ];
  const described = [
    props.hint ? `${id}-hint` : '',
    props.check ? `${id}-check` : '',
    errors.length > 0 ? `${id}-error` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const invalid = errors.length > 0 || props.check?.ok === false;
  const control = props.children({
    id,
    'aria-invalid': invalid,
    'aria-describedby': described || undefined,
    name: props.name,
  });
  return (
    <div className={`field${props.wide ? ' wide' : ''}${invalid ? ' invalid' : ''}`}>
      {requiresInput(control) ? (
        <div className="label-row">
          <label htmlFor={id}>{props.label}</label>{' '}
          <span className="required" aria-hidden="true">
            required
          </span>
        </div>
      ) : (
        <label htmlFor={id}>{props.label}</label>
      )}
      {control}
      {props.hint && (
        <small id={`${id}-hint`} className="hint">
          {props.hint}
        </small>
      )}
      {props.check && (
        <small id={`${id}-check`} className={props.check.ok ? 'check ok' : 'check bad'} role="status">
          {props.check.ok ? '✓ ' : '✗ '}
          {props.check.message}
        </small>
      )}
      {errors.length > 0 && (
        <small id={`${id}-error`} className="error" role="alert">
          {errors.join(' ')}
        </small>
      )}
    </div>
  );
}

/** The form-level message: the API's problem in plain words, unless every part of it is shown at a field. */
export function ProblemBanner({
  problem,
  fields = [],
}: {
  problem: Problem | null;
  fields?: readonly string[];
}): ReactNode {
  const banner = useRef<HTMLDivElement>(null);
  // A refused form keeps the person where the fix is: the first field marked in red, else this message (never the page's top).
  useEffect(() => {
    const element = banner.current;
    if (problem === null || element === null) return;
    const form = element.closest('form');
    if (form === null) return;
    const field = form.querySelector<HTMLElement>('[aria-invalid="true"]');
    (field ?? element).focus();
  }, [problem]);
  if (problem === null) return null;
  const placed = !unplacedProblem(problem, fields);
  return (
    <div className="banner error" role="alert" ref={banner} tabIndex={-1}>
      {placed ? 'Nothing was saved. Please correct the fields marked in red.' : plainWords(problem)}
      {!placed && problem.errors && problem.errors.length > 0 && (
        <ul>
          {problem.errors.map((error) => (
            <li key={error.field}>
              {error.field}: {error.messages.join(' ')}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Notice({ children }: { children: ReactNode }): ReactNode {
  const notice = useRef<HTMLDivElement>(null);
  // The form that was just done is gone with its button: keep the keyboard here rather than at the top of the page.
  // Only when it appears or says something new: a later re-render must not pull the focus back to it.
  const text = typeof children === 'string' ? children : '';
  useEffect(() => {
    if (notice.current !== null && (document.activeElement === null || document.activeElement === document.body))
      notice.current.focus();
  }, [text]);
  return (
    <div className="banner ok" role="status" ref={notice} tabIndex={-1}>
      {children}
    </div>
  );
}

/** The signature block of 21 CFR Part 11: who you are, your password again, and what it means. */
export function SignatureFields(props: {
  meaning: string;
  statement: string;
  password: string;
  onPassword: (value: string) => void;
  problem: Problem | null;
  who: string;
  optional?: boolean;
}): ReactNode {
  return (
    <fieldset className="signature">
      <legend>Electronic signature{props.optional ? ' (optional)' : ''}</legend>
      <p className="statement">
        <strong>{props.who}</strong> signs with the meaning <strong className="meaning">{props.meaning}</strong>:{' '}
        {props.statement}
      </p>
      <Field
        label="Your password, to sign"
        name="signature.password"
        problem={props.problem}
        hint="Entering it again is your signature."
      >
        {(attributes) => (
          <input
            {...attributes}
            type="password"
            autoComplete="current-password"
            value={props.password}
            required={!props.optional}
            onChange={(event) => props.onPassword(event.target.value)}
          />
        )}
      </Field>
    </fieldset>
  );
}

/**
 * A form's buttons: its submit — `primary`, `danger` for what cannot be undone, or `null` for a
 * plain one — any others (`children`), and the button that closes the form without saving.
 */
export function FormActions(props: {
  submit: ReactNode;
  onCancel: () => void;
  tone?: 'primary' | 'danger' | null;
  disabled?: boolean;
  cancel?: string;
  children?: ReactNode;
}): ReactNode {
  const { submit, onCancel, tone = 'primary', disabled, cancel = 'Cancel', children } = props;
  return (
    <div className="actions">
      <button type="submit" className={tone ?? undefined} disabled={disabled}>
        {submit}
      </button>
      {children}
      <button type="button" className="quiet" onClick={onCancel}>
        {cancel}
      </button>
    </div>
  );
}

export function StateBadge({ state }: { state: string }): ReactNode {
  const words: Record<string, string> = {
    in_custody: 'In custody',
    transfer_pending: 'Transfer pending',
    disposed: 'Disposed',
  };
  return <span className={`badge state-${state}`}>{words[state] ?? state}</span>;
}

export function IntegrityBadge({ integrity }: { integrity: string }): ReactNode {
  return integrity === 'compromised' ? (
    <span className="badge bad">⚠ Compromised</span>
  ) : (
    <span className="badge ok">Intact</span>
  );
}

/** A hash compared with its target's reference, in words and a sign (never colour alone). */
export function HashResult({ result }: { result: string | null }): ReactNode {
  if (result === 'match') return <span className="badge ok">✓ match</span>;
  if (result === 'mismatch') return <span className="badge bad">✗ MISMATCH</span>;
  if (result === 'not_compared') return <span className="badge">not compared</span>;
  return <span className="muted">—</span>;
}

export function Loading(): ReactNode {
  return (
    <p className="muted" role="status">
      Loading…
    </p>
  );
}

/** The shield mark, drawn inline (no font or image to fetch). */
export function Logo(): ReactNode {
  return (
    <svg className="logo" viewBox="0 0 24 24" width="1em" height="1em" aria-hidden="true" focusable="false">
      <path d="M12 2 4 5v6c0 5 3.4 9.4 8 11 4.6-1.6 8-6 8-11V5l-8-3Z" fill="currentColor" />
      <path
        d="m8.5 12 2.5 2.5 4.5-5"
        fill="none"
        stroke="#17324d"
        strokeWidth="2"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    </svg>
  );
}
