import { describe, expect, it } from "vitest";
import { ProblemError } from "../../api/problem";
import { columnWords, decodeCsv, importProblems, rowsInWords, sentSentence, templateCsv, templateName } from "./importFile";

const bytes = (text: string) => new TextEncoder().encode(text).buffer as ArrayBuffer;

describe("the CSV file before it is sent", () => {
  it("asks for a file, refuses an empty one, and one that is not UTF-8", () => {
    expect(decodeCsv(null).error).toBe("Choose the CSV file to upload.");
    expect(decodeCsv(new ArrayBuffer(0)).error).toMatch(/^The file is empty/);
    expect(decodeCsv(bytes(" \r\n\r\n")).error).toMatch(/^The file is empty/);
    // "José" saved as Windows-1252 (a spreadsheet's plain "CSV")
    const latin1 = new Uint8Array([...new TextEncoder().encode("name,email\r\nJos"), 0xe9, ...new TextEncoder().encode(",j@x.org\r\n")]);
    expect(decodeCsv(latin1.buffer as ArrayBuffer).error).toMatch(/not UTF-8 text.*CSV UTF-8/);
  });
  it("reads UTF-8 text and drops a spreadsheet's byte-order mark", () => {
    expect(decodeCsv(bytes("\uFEFFname,email\r\nJosé Ruiz,jr@example.org\r\n")).text).toBe("name,email\r\nJosé Ruiz,jr@example.org\r\n");
  });
  it("offers a template with the columns identity reads and one example row", () => {
    const mentor = templateCsv("mentor").split("\r\n");
    expect(mentor[0]).toBe("name,email,criteria,evidence");
    expect(mentor[1].split(",")).toHaveLength(4);
    expect(mentor[1]).toContain("urim_identity;teaching_award");
    expect(templateCsv("mentee")).toBe("name,email\r\nJordan Lee,jordan.lee@example.edu\r\n");
    expect(templateName("mentee")).toBe("mentee-invitations-template.csv");
  });
});

describe("a refused import in words", () => {
  // identity's 422 as service.import_invitations writes it
  const refusal = new ProblemError(422, {
    type: "https://mentormemed.org/problems/invalid-import", title: "Validation failed",
    detail: "Nothing was imported: rows 3 and 4 of the file need correcting (each is listed below).",
    errors: [
      { pointer: "#/rows/4/nominated_by", row: 4, column: "nominated_by", detail: "The nominating mentor is not a mentor's id." },
      { pointer: "#/rows/3/email", row: 3, column: "email", detail: "“maya.example.edu” is not an e-mail address." },
      { pointer: "#/rows/3/criteria", row: 3, column: "criteria", detail: "“award” is not an admission criterion." },
      { pointer: "#/rows/1", row: 1, detail: "The header names an unknown column “phone”." },
      { pointer: "#/rows/5", row: 5, detail: "This row has 5 cells where the header has 4." },
    ],
  });

  it("lists every problem by row, with the column as a person names it", () => {
    const problems = importProblems(refusal) ?? [];
    expect(problems.map((p) => [p.row, p.where])).toEqual([
      [1, "The header row"], [3, "E-mail address"], [3, "Admission criteria"], [4, "Nominating mentor"], [5, "The whole row"],
    ]);
    expect(problems[1].detail).toBe("“maya.example.edu” is not an e-mail address.");
    expect(rowsInWords(problems)).toBe("rows 1, 3, 4 and 5");
  });
  it("reads the row and column from the pointer when the error has no row", () => {
    const problem = new ProblemError(422, { errors: [{ pointer: "#/rows/7/evidence", detail: "The evidence is empty." }] });
    expect(importProblems(problem)).toEqual([{ key: "0", row: 7, where: "Evidence", detail: "The evidence is empty." }]);
  });
  it("says when the file as a whole could not be read", () => {
    const unreadable = new ProblemError(422, { errors: [{ pointer: "#", detail: "The file is not UTF-8 text." }] });
    expect(importProblems(unreadable)).toEqual([{ key: "0", row: null, where: "The whole file", detail: "The file is not UTF-8 text." }]);
    expect(rowsInWords(importProblems(unreadable) ?? [])).toBe("the file");
  });
  it("leaves other errors to the usual error note", () => {
    expect(importProblems(new ProblemError(413, { detail: "Too large" }))).toBeNull();
    expect(importProblems(new ProblemError(422, { detail: "no errors listed" }))).toBeNull();
    expect(importProblems(new Error("offline"))).toBeNull();
  });
  it("names columns in words and counts what was sent", () => {
    expect([columnWords("criterion"), columnWords("E-mail"), columnWords("name"), columnWords(undefined)])
      .toEqual(["Admission criteria", "E-mail address", "Name", undefined]);
    expect(sentSentence(3, "mentor")).toMatch(/^3 mentor invitations sent\./);
    expect(sentSentence(1, "mentee")).toMatch(/^1 mentee invitation sent\./);
  });
});
