// Loading, empty and error states, the same on every screen.
import type { UseQueryResult } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { describe } from "../api/problem";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** A problem+json answer in words: the service's detail, each invalid field, the request id to quote. */
export function ErrorNote({ error, retry }: { error: unknown; retry?: () => void }) {
  if (!error) return null;
  const { title, detail, fields, requestId } = describe(error);
  return (
    <div className="error-note" role="alert">
      <p className="error-title">{title}</p>
      {detail !== title ? <p>{detail}</p> : null}
      {fields.length ? (
        <ul>
          {fields.map((f) => <li key={f}>{f}</li>)}
        </ul>
      ) : null}
      {requestId ? <p className="muted small">Reference: {requestId}</p> : null}
      {retry ? <button type="button" className="button secondary" onClick={retry}>Try again</button> : null}
    </div>
  );
}

export function Notice({ children, tone = "info" }: { children: ReactNode; tone?: "info" | "good" | "warn" }) {
  return <div className={`notice notice-${tone}`} role="status">{children}</div>;
}

/** A query's three states; `isEmpty` decides when the data means "nothing here yet". */
export function QueryView<T>({ query, isEmpty, empty, loading, children }: {
  query: UseQueryResult<T>;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  loading?: string;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) return <Loading label={loading} />;
  if (query.isError) return <ErrorNote error={query.error} retry={() => void query.refetch()} />;
  if (isEmpty && isEmpty(query.data)) return <Empty>{empty ?? "Nothing here yet."}</Empty>;
  return <>{children(query.data)}</>;
}
