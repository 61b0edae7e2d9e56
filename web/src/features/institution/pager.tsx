// Paging for lists the APIs answer a page at a time (limit and offset).

/** Previous / next for lists that answer a page at a time without a total. */
export function Pager({ offset, size, count, onChange, total }: { offset: number; size: number; count: number; onChange: (offset: number) => void; total?: number }) {
  const hasNext = total !== undefined ? offset + size < total : count === size;
  if (offset === 0 && !hasNext) return null;
  const first = count ? offset + 1 : offset;
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" className="button secondary" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - size))}>Previous page</button>
      <span>{count ? `${first}–${offset + count}` : "No more entries"}{total !== undefined ? ` of ${total}` : ""}</span>
      <button type="button" className="button secondary" disabled={!hasNext} onClick={() => onChange(offset + size)}>Next page</button>
    </nav>
  );
}
