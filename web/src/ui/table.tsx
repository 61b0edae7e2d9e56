// Lists as tables on a desktop and as stacked cards on a phone (CSS), with a CSV download of the same
// rows and columns.
import type { ReactNode } from "react";
import { saveBlob } from "../api/client";

export interface Column<T> {
  key: string;
  header: string;
  cell: (row: T) => ReactNode;
  /** The value in the CSV file (defaults to the cell when it is a string or number). */
  csv?: (row: T) => string | number | boolean | null | undefined;
}

export function DataTable<T>({ caption, columns, rows, rowKey }: {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
}) {
  return (
    <div className="table-wrap">
      <table className="data-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>{columns.map((c) => <th key={c.key} scope="col">{c.header}</th>)}</tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)}>
              {columns.map((c) => <td key={c.key} data-label={c.header}>{c.cell(row)}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function toCsv<T>(columns: Column<T>[], rows: T[]): string {
  const escape = (value: unknown): string => {
    let text = value === null || value === undefined ? "" : String(value);
    // A cell starting with = + - @ would run as a formula in a spreadsheet (CSV injection).
    if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const value = (c: Column<T>, row: T) => {
    if (c.csv) return c.csv(row);
    const cell = c.cell(row);
    return typeof cell === "string" || typeof cell === "number" ? cell : "";
  };
  const lines = [columns.map((c) => escape(c.header)).join(",")];
  for (const row of rows) lines.push(columns.map((c) => escape(value(c, row))).join(","));
  return lines.join("\r\n") + "\r\n";
}

export function CsvButton<T>({ filename, columns, rows, label = "Download CSV" }: {
  filename: string;
  columns: Column<T>[];
  rows: T[];
  label?: string;
}) {
  return (
    <button type="button" className="button secondary small" disabled={rows.length === 0}
      onClick={() => saveBlob(new Blob([toCsv(columns, rows)], { type: "text/csv;charset=utf-8" }), filename)}>
      {label}
    </button>
  );
}
