// Operators: mentors ejected from the program (R12: unanswered requests, or an operator's decision),
// why and since when, and their reinstatement with a note (MentorReinstated) after a confirmation.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { data, identity } from "../../api/client";
import type { components } from "../../api/schema/identity";
import { Form, SubmitButton, TextArea, serverFieldError } from "../../ui/form";
import { formatDateTime } from "../../ui/format";
import { Badge, Facts, Page } from "../../ui/page";
import { Notice, QueryView } from "../../ui/status";
import { CsvButton, type Column } from "../../ui/table";
import { csvName, plural } from "../institution/labels";

type User = components["schemas"]["UserOut"];

/** "unresponsive: 2 requests expired unanswered" → words a person reads. */
export function ejectionReason(reason: string | null | undefined): string {
  if (!reason) return "No reason was recorded.";
  const m = /^unresponsive\b[:\s-]*(.*)$/i.exec(reason);
  if (m) return m[1] ? `Unresponsive: ${m[1]}` : "Unresponsive: requests expired unanswered.";
  return reason;
}

export default function Ejected() {
  const queries = useQueryClient();
  const [reinstated, setReinstated] = useState<User[]>([]);
  const list = useQuery({
    queryKey: ["users", "ejected-mentors"],
    queryFn: () => data(identity.GET("/api/v1/identity/users", { params: { query: { role: "mentor", status: "ejected", limit: 500 } } })),
  });
  const institutions = useQuery({
    queryKey: ["institutions"],
    queryFn: () => data(identity.GET("/api/v1/identity/institutions")),
    staleTime: 5 * 60_000,
  });
  const institutionName = (id: string | null | undefined) => institutions.data?.find((i) => i.id === id)?.name ?? "—";
  const columns: Column<User>[] = [
    { key: "name", header: "Name", cell: (u) => u.name ?? "" },
    { key: "email", header: "E-mail", cell: (u) => u.email ?? "" },
    { key: "institution", header: "Institution", cell: (u) => institutionName(u.institution_id) },
    { key: "reason", header: "Why", cell: (u) => ejectionReason(u.status_reason) },
    { key: "since", header: "Ejected on", cell: (u) => u.status_changed_at ?? "" },
  ];
  return (
    <Page title="Ejected mentors"
      intro={<p>Mentors leave the program and the directory when their requests expire unanswered. Reinstating one lets them sign in and mentor again.</p>}
      actions={<CsvButton filename={csvName("mentormemed", "ejected-mentors")} columns={columns} rows={list.data ?? []} label="Download ejected mentors (CSV)" />}>
      {reinstated.length ? (
        <Notice tone="good">
          <p>Reinstated just now:</p>
          <ul>
            {reinstated.map((u) => (
              <li key={u.id}>{u.name} — status {u.status === "active" ? "active (reinstated)" : u.status}; note: {u.status_reason}</li>
            ))}
          </ul>
        </Notice>
      ) : null}
      <QueryView query={list} isEmpty={(rows) => rows.length === 0} empty="No mentor is ejected.">
        {(rows) => (
          <>
            <p>{plural(rows.length, "ejected mentor")}.</p>
            <ul className="cards" aria-label="Ejected mentors">
              {rows.map((u) => (
                <EjectedMentor key={u.id} user={u} institution={institutionName(u.institution_id)}
                  onReinstated={(done) => {
                    setReinstated((all) => [done, ...all]);
                    void queries.invalidateQueries({ queryKey: ["users", "ejected-mentors"] });
                    void queries.invalidateQueries({ queryKey: ["compliance"] });
                  }} />
              ))}
            </ul>
          </>
        )}
      </QueryView>
    </Page>
  );
}

function EjectedMentor({ user, institution, onReinstated }: { user: User; institution: string; onReinstated: (u: User) => void }) {
  const [open, setOpen] = useState(false);
  const [note, setNote] = useState("");
  const [error, setError] = useState<string | undefined>();
  const name = user.name ?? "this mentor";
  const reinstate = useMutation({
    mutationFn: () => data(identity.POST("/api/v1/identity/users/{user_id}/reinstate", { params: { path: { user_id: user.id ?? "" } }, body: { reason: note.trim() } })),
    onSuccess: onReinstated,
  });
  return (
    <li className="result">
      <article aria-label={name}>
        <h2>{name}</h2>
        <p><Badge tone="bad">Ejected</Badge></p>
        <Facts items={[
          ["Institution", institution],
          ["E-mail", user.email],
          ["Why", ejectionReason(user.status_reason)],
          ["Ejected on", formatDateTime(user.status_changed_at)],
        ]} />
        {open ? (
          <Form label={`Reinstate ${name}`} error={reinstate.error} onSubmit={() => {
            if (!note.trim()) {
              setError("Write a note: why the mentor is reinstated (kept with their record).");
              return;
            }
            setError(undefined);
            reinstate.mutate();
          }}>
            <p>Reinstate {name}? They can sign in again, and their profile returns to the directory.</p>
            <TextArea label="Note" required rows={3} maxLength={2000} value={note} onChange={setNote}
              hint="Why they are reinstated; kept with their record and told to the mentor."
              error={error ?? serverFieldError(reinstate.error, "reason")} />
            <div className="actions">
              <SubmitButton busy={reinstate.isPending} busyLabel="Reinstating…">Confirm reinstatement</SubmitButton>
              <button type="button" className="button secondary" disabled={reinstate.isPending} onClick={() => setOpen(false)}>Cancel</button>
            </div>
          </Form>
        ) : (
          <div className="actions">
            <button type="button" className="button" aria-label={`Reinstate ${name}`} onClick={() => setOpen(true)}>Reinstate</button>
          </div>
        )}
      </article>
    </li>
  );
}
