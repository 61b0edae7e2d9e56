// A button that asks before it acts: the question and its two answers appear in place (no browser
// dialog), and the action's button stays busy while its request runs.
import { useEffect, useRef, useState, type ReactNode } from "react";

export function ConfirmButton({ label, ariaLabel, question, confirmLabel, onConfirm, busy = false, tone = "danger", className = "button secondary small" }: {
  label: string;
  ariaLabel?: string;
  question: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  busy?: boolean;
  tone?: "danger" | "primary";
  className?: string;
}) {
  const [asking, setAsking] = useState(false);
  const yes = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) yes.current?.focus();
  }, [asking]);
  if (!asking) {
    return <button type="button" className={className} aria-label={ariaLabel} onClick={() => setAsking(true)}>{label}</button>;
  }
  return (
    <div className="confirm" role="group" aria-label={ariaLabel ?? label}>
      <p>{question}</p>
      <div className="actions">
        <button ref={yes} type="button" className={`button small${tone === "danger" ? " danger" : ""}`} disabled={busy}
          aria-busy={busy || undefined} onClick={onConfirm}>
          {busy ? "Working…" : confirmLabel}
        </button>
        <button type="button" className="button secondary small" disabled={busy} onClick={() => setAsking(false)}>Cancel</button>
      </div>
    </div>
  );
}
