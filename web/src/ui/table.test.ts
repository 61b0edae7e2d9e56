// The CSV download: RFC 4180 quoting and a guard against formulas (CSV injection) in any cell.
import { createElement } from "react";
import { expect, test } from "vitest";
import { toCsv, type Column } from "./table";

interface Row {
  name: string;
  count: number | null;
  note?: string;
}

const columns: Column<Row>[] = [
  { key: "name", header: "Name", cell: (r) => r.name },
  { key: "count", header: "Active mentees", cell: (r) => r.count ?? "—", csv: (r) => r.count },
  { key: "note", header: "Note, if any", cell: (r) => r.note },
];

test("a header line and one line per row, CRLF-terminated", () => {
  expect(toCsv(columns, [{ name: "Dr. Alicia Moreno", count: 2, note: "ok" }])).toBe(
    'Name,Active mentees,"Note, if any"\r\nDr. Alicia Moreno,2,ok\r\n',
  );
  expect(toCsv(columns, [])).toBe('Name,Active mentees,"Note, if any"\r\n');
});

test("commas, quotes and line breaks are quoted, quotes doubled", () => {
  const csv = toCsv(columns, [{ name: 'Moreno, "Ali"', count: 1, note: "line one\nline two\r\nthree" }]);
  expect(csv.split("\r\n")[1]).toBe('"Moreno, ""Ali""",1,"line one\nline two');
  expect(csv).toContain('"Moreno, ""Ali""",1,"line one\nline two\r\nthree"\r\n');
});

test("a cell that a spreadsheet would run as a formula is made text", () => {
  const rows = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"].map((name) => ({ name, count: 0 }));
  const lines = toCsv(columns, rows).split("\r\n").slice(1, -1);
  expect(lines[0]).toBe('"\'=HYPERLINK(""http://x"")",0,');
  expect(lines[1]).toBe("'+1+1,0,");
  expect(lines[2]).toBe("'-2+3,0,");
  expect(lines[3]).toBe("'@SUM(A1),0,");
  expect(lines[4]).toBe("'\tcmd,0,");
  expect(toCsv(columns, [rows[5]])).toContain("\"'\rcmd\",0,");
  // Only the start of a cell counts.
  expect(toCsv(columns, [{ name: "A=B", count: 0 }])).toContain("\r\nA=B,0,\r\n");
});

test("empty values, numbers and booleans; the csv accessor wins over the cell; other nodes are blank", () => {
  const flags: Column<{ ok: boolean; when: Date }>[] = [
    { key: "ok", header: "OK", cell: () => null, csv: (r) => r.ok },
    { key: "when", header: "When", cell: (r) => createElement("time", null, r.when.toISOString()) },
  ];
  expect(toCsv(flags, [{ ok: false, when: new Date(0) }])).toBe("OK,When\r\nfalse,\r\n");
  expect(toCsv(columns, [{ name: "X", count: null }])).toBe('Name,Active mentees,"Note, if any"\r\nX,,\r\n');
});
