// "Invite from a file": many mentors or mentees at once from a CSV file, all or nothing. The person
// picks whom the file invites, may download a template, uploads; identity checks every row and either
// invites them all (the list below refreshes) or refuses the file, and every problem is listed by row
// and column as the person's spreadsheet shows them.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { csvBody, data, identity, saveBlob } from "../../api/client";
import { Choices, FileField, Form, SubmitButton } from "../../ui/form";
import { Section } from "../../ui/page";
import { ErrorNote, Notice } from "../../ui/status";
import { DataTable, type Column } from "../../ui/table";
import {
  CRITERIA_CODES, IMPORT_COLUMNS, MAX_PEOPLE, decodeCsv, importProblems, rowsInWords, sentSentence, templateCsv, templateName,
  type ImportKind, type ImportProblem,
} from "./importFile";

const PROBLEM_COLUMNS: Column<ImportProblem>[] = [
  { key: "row", header: "Row", cell: (p) => (p.row === null ? "—" : String(p.row)) },
  { key: "where", header: "Column", cell: (p) => p.where },
  { key: "detail", header: "What is wrong", cell: (p) => <span className="cell">{p.detail}</span> },
];

export function ImportInvitations({ institutionId }: { institutionId: string }) {
  const queries = useQueryClient();
  const [kind, setKind] = useState<ImportKind>("mentor");
  const [file, setFile] = useState<File | null>(null);
  const [fileError, setFileError] = useState<string | undefined>();
  const [inputKey, setInputKey] = useState(0); // a new key empties the file input

  const path = { params: { path: { institution_id: institutionId } } };
  const upload = useMutation({
    mutationFn: ({ kind, text }: { kind: ImportKind; text: string }) => data(kind === "mentor"
      ? identity.POST("/api/v1/identity/institutions/{institution_id}/mentor-invitations/import", { ...path, ...csvBody(text) })
      : identity.POST("/api/v1/identity/institutions/{institution_id}/mentee-invitations/import", { ...path, ...csvBody(text) })),
    onSuccess: () => {
      setFile(null);
      setInputKey((k) => k + 1);
      void queries.invalidateQueries({ queryKey: ["invitations", institutionId] });
    },
  });

  async function submit() {
    upload.reset();
    let bytes: ArrayBuffer | null = null;
    try {
      bytes = file ? await file.arrayBuffer() : null;
    } catch {
      // the browser refuses a file changed or moved since it was chosen
      setFileError("The file could not be read: it may have changed since you chose it. Choose it again.");
      return;
    }
    const read = decodeCsv(bytes);
    setFileError(read.error);
    if (read.text !== undefined) upload.mutate({ kind, text: read.text });
  }

  const problems = importProblems(upload.error);
  const columns = IMPORT_COLUMNS[kind];
  return (
    <Section title="Invite from a file">
      <p>
        Invite many {kind === "mentor" ? "mentors" : "mentees"} at once from a spreadsheet saved as CSV (“CSV UTF-8”), up to {MAX_PEOPLE} people
        a file. It is all or nothing: if any row needs correcting, no one is invited and every problem is listed.
      </p>
      <Form label="Invite from a file" onSubmit={() => void submit()}>
        <Choices legend="Whom does the file invite?" multiple={false} selected={[kind]}
          options={[{ value: "mentor", label: "Mentors" }, { value: "mentee", label: "Mentees" }]}
          onChange={(v) => { setKind(v[0] === "mentee" ? "mentee" : "mentor"); upload.reset(); }} />
        <div className="import-columns">
          <p>
            The first row names the columns, in any order: <strong>{columns.required.join(", ")}</strong>
            {columns.optional.length ? <> and, if needed, <strong>{columns.optional.join(", ")}</strong></> : null}. Then one row per person.
          </p>
          {kind === "mentor" ? (
            <>
              <p className="small">
                The criteria column holds one or more admission criteria separated by “;”, the evidence column what shows them.
                For a nomination by a current mentor, nominated_by holds the nominating mentor's id.
              </p>
              <details>
                <summary>The admission criteria as the file writes them</summary>
                <ul className="small criteria-codes">
                  {CRITERIA_CODES.map((c) => <li key={c.code}><code>{c.code}</code>: {c.label}</li>)}
                </ul>
              </details>
            </>
          ) : null}
          <p>
            <button type="button" className="button secondary small"
              onClick={() => saveBlob(new Blob([templateCsv(kind)], { type: "text/csv;charset=utf-8" }), templateName(kind))}>
              Download a template ({kind === "mentor" ? "mentors" : "mentees"}, CSV)
            </button>
          </p>
        </div>
        <FileField key={inputKey} label="CSV file" required accept=".csv,text/csv" error={fileError}
          hint="Rows are counted as your spreadsheet counts them: the header is row 1."
          onChange={(f) => { setFile(f); setFileError(undefined); upload.reset(); }} />
        <SubmitButton busy={upload.isPending} busyLabel="Uploading and checking…">
          {kind === "mentor" ? "Upload and invite the mentors" : "Upload and invite the mentees"}
        </SubmitButton>
      </Form>
      <div className="import-result">
        {upload.data ? <Notice tone="good">{sentSentence(upload.data.count ?? 0, upload.data.kind ?? kind)}</Notice> : null}
        {problems ? <ImportRefused problems={problems} kind={upload.variables?.kind ?? kind} /> : upload.error ? <ErrorNote error={upload.error} /> : null}
      </div>
    </Section>
  );
}

function ImportRefused({ problems, kind }: { problems: ImportProblem[]; kind: ImportKind }) {
  const inRows = problems.some((p) => p.row !== null && p.row > 1);
  return (
    <>
      <div className="error-note" role="alert">
        <p className="error-title">Nothing was imported</p>
        <p>
          {inRows
            ? `Correct ${rowsInWords(problems)} of the file and upload it again; no ${kind} was invited.`
            : `The file could not be read as it is; no ${kind} was invited.`}
          {" "}{problems.length === 1 ? "The problem:" : `The ${problems.length} problems:`}
        </p>
      </div>
      <DataTable caption="Problems in the file" columns={PROBLEM_COLUMNS} rows={problems} rowKey={(p) => p.key} />
    </>
  );
}
