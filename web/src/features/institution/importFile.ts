// Inviting many people from a CSV file (identity's mentor-invitations/import and mentee-invitations/import):
// the template a person downloads, the checks made before the upload (a file, not empty, UTF-8 text),
// and the service's refusal turned into a list of problems a person can find in their spreadsheet.
// Pure functions, unit-tested in importFile.test.ts; identity checks every row again, all or nothing.
import { ProblemError } from "../../api/problem";
import { MENTOR_CRITERIA } from "./labels";

export type ImportKind = "mentor" | "mentee";

/** The columns as the file's header row names them, in the template's order. */
export const IMPORT_COLUMNS: Record<ImportKind, { required: string[]; optional: string[] }> = {
  mentor: { required: ["name", "email", "criteria", "evidence"], optional: ["nominated_by"] },
  mentee: { required: ["name", "email"], optional: [] },
};

/** What a person calls each column. */
const COLUMN_WORDS: Record<string, string> = {
  name: "Name",
  email: "E-mail address",
  "e-mail": "E-mail address",
  criteria: "Admission criteria",
  criterion: "Admission criteria",
  evidence: "Evidence",
  nominated_by: "Nominating mentor",
};

export function columnWords(column: string | undefined | null): string | undefined {
  if (!column) return undefined;
  return COLUMN_WORDS[column.toLowerCase()] ?? column;
}

/** A template of the file, with one example row, as identity's API documents it. */
export function templateCsv(kind: ImportKind): string {
  const lines = kind === "mentor"
    ? ["name,email,criteria,evidence", "Maya Brooks,maya.brooks@example.edu,urim_identity;teaching_award,Dean's teaching award 2023"]
    : ["name,email", "Jordan Lee,jordan.lee@example.edu"];
  return lines.join("\r\n") + "\r\n";
}

export function templateName(kind: ImportKind): string {
  return `${kind}-invitations-template.csv`;
}

/** The codes the criteria column accepts, with their meaning. */
export const CRITERIA_CODES = MENTOR_CRITERIA.map((c) => ({ code: c.value, label: c.label }));

export const MAX_PEOPLE = 500;

/** The file's text, or why it cannot be sent: nothing chosen, empty, or not UTF-8 (a spreadsheet's
 * "CSV" in another encoding would arrive with its accented letters broken). A byte-order mark is
 * dropped, as identity would. */
export function decodeCsv(bytes: ArrayBuffer | null): { text: string; error?: undefined } | { text?: undefined; error: string } {
  if (bytes === null) return { error: "Choose the CSV file to upload." };
  if (bytes.byteLength === 0) return { error: "The file is empty. Its first row names the columns, then one row per person." };
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { error: "The file is not UTF-8 text. Save it from the spreadsheet as “CSV UTF-8” and choose it again." };
  }
  if (!text.trim()) return { error: "The file is empty. Its first row names the columns, then one row per person." };
  return { text };
}

export interface ImportProblem {
  key: string;
  /** The row as a spreadsheet counts it (the header is row 1); null for the file as a whole. */
  row: number | null;
  /** Where in the row, in words: a column, the header row, the whole row or the whole file. */
  where: string;
  detail: string;
}

const POINTER = /^#?\/rows\/(\d+)(?:\/(.+))?$/;

/** Every problem of an import the service refused (422), in the file's order; null for any other error. */
export function importProblems(error: unknown): ImportProblem[] | null {
  if (!(error instanceof ProblemError) || error.status !== 422 || error.errors.length === 0) return null;
  const problems = error.errors.map((e, index) => {
    const raw = e as { pointer?: string; row?: unknown; column?: unknown; detail: string };
    const match = POINTER.exec(raw.pointer ?? "");
    const row = typeof raw.row === "number" ? raw.row : match ? Number(match[1]) : null;
    const column = typeof raw.column === "string" ? raw.column : match?.[2];
    const where = columnWords(column) ?? (row === null ? "The whole file" : row === 1 ? "The header row" : "The whole row");
    return { key: `${index}`, row, where, detail: raw.detail };
  });
  return problems.sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
}

/** "row 3", "rows 3 and 5", "rows 2, 3 and 7". */
export function rowsInWords(problems: ImportProblem[]): string {
  const rows = [...new Set(problems.map((p) => p.row).filter((r): r is number => r !== null))].sort((a, b) => a - b);
  if (rows.length === 0) return "the file";
  if (rows.length === 1) return `row ${rows[0]}`;
  return `rows ${rows.slice(0, -1).join(", ")} and ${rows[rows.length - 1]}`;
}

export function sentSentence(count: number, kind: ImportKind): string {
  const what = count === 1 ? `${kind} invitation` : `${kind} invitations`;
  return `${count} ${what} sent. Each person receives an invitation e-mail with a link of their own.`;
}
