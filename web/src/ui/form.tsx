// Labelled fields with their errors (client-side validation first, then the service's own), and a
// submit button that stays busy while its request runs: a double click sends one request.
import { useId, type ChangeEvent, type FormEvent, type ReactNode } from "react";
import { ProblemError } from "../api/problem";
import { ErrorNote } from "./status";

export interface FieldProps {
  label: string;
  hint?: ReactNode;
  error?: string;
  required?: boolean;
}

function Labelled({ id, label, hint, error, required, children }: FieldProps & { id: string; children: ReactNode }) {
  return (
    <div className={`field${error ? " field-invalid" : ""}`}>
      <label htmlFor={id}>
        {label}
        {required ? <span className="required"> (required)</span> : null}
      </label>
      {hint ? <p className="hint" id={`${id}-hint`}>{hint}</p> : null}
      {children}
      {error ? <p className="field-error" id={`${id}-error`}>{error}</p> : null}
    </div>
  );
}

function describedBy(id: string, hint: unknown, error: unknown): string | undefined {
  const ids = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return ids || undefined;
}

export function TextField({ label, hint, error, required, value, onChange, type = "text", autoComplete, inputMode, maxLength, name, min, max }: FieldProps & {
  value: string;
  onChange: (value: string) => void;
  type?: "text" | "email" | "password" | "number" | "url" | "date" | "search" | "tel" | "time";
  autoComplete?: string;
  inputMode?: "text" | "numeric" | "email" | "url" | "search";
  maxLength?: number;
  name?: string;
  min?: number;
  max?: number;
}) {
  const id = useId();
  return (
    <Labelled id={id} label={label} hint={hint} error={error} required={required}>
      <input id={id} name={name} type={type} value={value} required={required} autoComplete={autoComplete}
        inputMode={inputMode} maxLength={maxLength} min={min} max={max} aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint, error)}
        onChange={(e: ChangeEvent<HTMLInputElement>) => onChange(e.target.value)} />
    </Labelled>
  );
}

export function TextArea({ label, hint, error, required, value, onChange, rows = 4, maxLength }: FieldProps & {
  value: string;
  onChange: (value: string) => void;
  rows?: number;
  maxLength?: number;
}) {
  const id = useId();
  return (
    <Labelled id={id} label={label} hint={hint} error={error} required={required}>
      <textarea id={id} value={value} rows={rows} required={required} maxLength={maxLength}
        aria-invalid={error ? true : undefined} aria-describedby={describedBy(id, hint, error)}
        onChange={(e) => onChange(e.target.value)} />
    </Labelled>
  );
}

/** A file input; the chosen file (or null) goes to `onChange`. Give it a new `key` to empty it. */
export function FileField({ label, hint, error, required, accept, onChange }: FieldProps & {
  accept?: string;
  onChange: (file: File | null) => void;
}) {
  const id = useId();
  return (
    <Labelled id={id} label={label} hint={hint} error={error} required={required}>
      <input id={id} type="file" accept={accept} required={required} aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint, error)}
        onChange={(e: ChangeEvent<HTMLInputElement>) => onChange(e.target.files?.[0] ?? null)} />
    </Labelled>
  );
}

export function Select({ label, hint, error, required, value, onChange, options }: FieldProps & {
  value: string;
  onChange: (value: string) => void;
  options: { value: string; label: string }[];
}) {
  const id = useId();
  return (
    <Labelled id={id} label={label} hint={hint} error={error} required={required}>
      <select id={id} value={value} required={required} aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint, error)} onChange={(e) => onChange(e.target.value)}>
        {options.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
      </select>
    </Labelled>
  );
}

export function Checkbox({ label, hint, error, checked, onChange, required }: FieldProps & {
  checked: boolean;
  onChange: (checked: boolean) => void;
}) {
  const id = useId();
  return (
    <div className={`field field-check${error ? " field-invalid" : ""}`}>
      <input id={id} type="checkbox" checked={checked} required={required} aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint, error)} onChange={(e) => onChange(e.target.checked)} />
      <label htmlFor={id}>{label}</label>
      {hint ? <p className="hint" id={`${id}-hint`}>{hint}</p> : null}
      {error ? <p className="field-error" id={`${id}-error`}>{error}</p> : null}
    </div>
  );
}

/** A group of checkboxes or radios with one legend. */
export function Choices({ legend, hint, error, options, selected, onChange, multiple = true }: {
  legend: string;
  hint?: ReactNode;
  error?: string;
  options: { value: string; label: string }[];
  selected: string[];
  onChange: (selected: string[]) => void;
  multiple?: boolean;
}) {
  const name = useId();
  return (
    <fieldset className={`choices${error ? " field-invalid" : ""}`}>
      <legend>{legend}</legend>
      {hint ? <p className="hint">{hint}</p> : null}
      {options.map((o) => {
        const id = `${name}-${o.value}`;
        const on = selected.includes(o.value);
        return (
          <div className="choice" key={o.value}>
            <input id={id} name={name} type={multiple ? "checkbox" : "radio"} checked={on}
              onChange={() => onChange(multiple ? (on ? selected.filter((v) => v !== o.value) : [...selected, o.value]) : [o.value])} />
            <label htmlFor={id}>{o.label}</label>
          </div>
        );
      })}
      {error ? <p className="field-error">{error}</p> : null}
    </fieldset>
  );
}

export function SubmitButton({ busy, children, busyLabel = "Working…", disabled, className = "button" }: {
  busy: boolean;
  children: ReactNode;
  busyLabel?: string;
  disabled?: boolean;
  className?: string;
}) {
  return (
    <button type="submit" className={className} disabled={busy || disabled} aria-busy={busy || undefined}>
      {busy ? busyLabel : children}
    </button>
  );
}

/** A form that prevents the browser's submit, runs `onSubmit` and shows the service's refusal. */
export function Form({ onSubmit, error, children, label }: {
  onSubmit: () => void;
  error?: unknown;
  children: ReactNode;
  label?: string;
}) {
  return (
    <form noValidate aria-label={label} onSubmit={(e: FormEvent) => {
      e.preventDefault();
      onSubmit();
    }}>
      {error ? <ErrorNote error={error} /> : null}
      {children}
    </form>
  );
}

/** The service's message for one field of a refused request, if it named that field. */
export function serverFieldError(error: unknown, field: string): string | undefined {
  return error instanceof ProblemError ? error.fieldError(field) : undefined;
}
