// Operators: the audit log of sensitive reads (§6) — who read whose record, which record, when and
// why — newest first, a page at a time, filtered by institution, reader, person read about and date.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { data, identity } from "../../api/client";
import type { components } from "../../api/schema/identity";
import { Form, Select, SubmitButton, TextField } from "../../ui/form";
import { formatDateTime, roleName } from "../../ui/format";
import { Page, Section } from "../../ui/page";
import { QueryView } from "../../ui/status";
import { CsvButton, DataTable, type Column } from "../../ui/table";
import { csvName } from "../institution/labels";
import { Pager } from "../institution/pager";

type Read = components["schemas"]["SensitiveReadOut"];
const PAGE = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function recordLabel(record: string | undefined): string {
  switch (record) {
    case "mentee_profile": return "Mentee profile (demographics, contact, eligibility)";
    case "mentee_eligibility": return "Mentee eligibility (application review)";
    case "mentor_admission": return "Mentor admission basis";
    default: return record ?? "—";
  }
}

interface Filters {
  institution_id?: string;
  actor_id?: string;
  subject_id?: string;
  since?: string;
}

/** The form's values as the API's query: ids only when they are ids, the date as the start of that day (local time). */
export function auditQuery(form: { institution: string; actor: string; subject: string; since: string }): { filters: Filters; errors: Record<string, string> } {
  const filters: Filters = {};
  const errors: Record<string, string> = {};
  if (form.institution) filters.institution_id = form.institution;
  for (const [key, value, field] of [["actor_id", form.actor, "actor"], ["subject_id", form.subject, "subject"]] as const) {
    const v = value.trim();
    if (!v) continue;
    if (UUID.test(v)) filters[key] = v;
    else errors[field] = "Enter a person's id (as shown in the log), or leave it empty.";
  }
  if (form.since) {
    const day = new Date(`${form.since}T00:00:00`);
    if (Number.isNaN(day.getTime())) errors.since = "Enter a date.";
    else filters.since = day.toISOString();
  }
  return { filters, errors };
}

export default function Audit() {
  const [institution, setInstitution] = useState("");
  const [actor, setActor] = useState("");
  const [subject, setSubject] = useState("");
  const [since, setSince] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [filters, setFilters] = useState<Filters>({});
  const [offset, setOffset] = useState(0);

  const institutions = useQuery({
    queryKey: ["institutions"],
    queryFn: () => data(identity.GET("/api/v1/identity/institutions")),
    staleTime: 5 * 60_000,
  });
  const log = useQuery({
    queryKey: ["audit", filters, offset],
    queryFn: () => data(identity.GET("/api/v1/identity/audit/sensitive-reads", { params: { query: { ...filters, limit: PAGE, offset } } })),
  });
  const institutionName = (id: string | null | undefined) => institutions.data?.find((i) => i.id === id)?.name ?? "—";

  function only(next: Filters) {
    setFilters(next);
    setOffset(0);
    setInstitution(next.institution_id ?? "");
    setActor(next.actor_id ?? "");
    setSubject(next.subject_id ?? "");
    if (!next.since) setSince("");
  }

  const columns: Column<Read>[] = [
    { key: "when", header: "When", cell: (r) => formatDateTime(r.read_at), csv: (r) => r.read_at },
    {
      key: "reader", header: "Read by", csv: (r) => `${r.actor_name ?? ""} (${r.actor_id})`,
      cell: (r) => (
        <div className="cell">
          <button type="button" className="link-inline" aria-label={`Only reads by ${r.actor_name ?? r.actor_id}`}
            onClick={() => only({ ...filters, actor_id: r.actor_id })}>{r.actor_name ?? r.actor_id}</button>
          <br /><span className="small muted">{roleName(r.actor_role)}</span>
        </div>
      ),
    },
    {
      key: "subject", header: "Whose record", csv: (r) => `${r.subject_name ?? ""} (${r.subject_id})`,
      cell: (r) => (
        <div className="cell"><button type="button" className="link-inline" aria-label={`Only reads of ${r.subject_name ?? r.subject_id}'s records`}
          onClick={() => only({ ...filters, subject_id: r.subject_id })}>{r.subject_name ?? r.subject_id}</button></div>
      ),
    },
    { key: "record", header: "Record", cell: (r) => recordLabel(r.record) },
    { key: "institution", header: "Institution", cell: (r) => institutionName(r.institution_id) },
    { key: "why", header: "Why", cell: (r) => r.purpose ?? "—" },
    { key: "request", header: "Request id", cell: (r) => <span className="small mono break">{r.request_id ?? "—"}</span>, csv: (r) => r.request_id ?? "" },
  ];
  const filtered = Object.keys(filters).length > 0;
  return (
    <Page title="Sensitive-data audit log"
      intro={<p>Every read of a mentee's profile or eligibility and of a mentor's admission basis, newest first (§6).</p>}
      actions={<CsvButton filename={csvName("mentormemed", "sensitive-reads")} columns={columns} rows={log.data ?? []} label="Download this page (CSV)" />}>
      <Section title="Filters">
        <Form label="Filter the audit log" onSubmit={() => {
          const found = auditQuery({ institution, actor, subject, since });
          setErrors(found.errors);
          if (Object.keys(found.errors).length === 0) {
            setFilters(found.filters);
            setOffset(0);
          }
        }}>
          <div className="filters filters-grid">
            <Select label="Institution" value={institution} onChange={setInstitution}
              options={[{ value: "", label: "All institutions" }, ...(institutions.data ?? []).map((i) => ({ value: i.id ?? "", label: i.name ?? "" }))]} />
            <TextField label="Since (date)" type="date" value={since} onChange={setSince} error={errors.since} />
            <TextField label="Reader's id" value={actor} onChange={setActor} error={errors.actor} autoComplete="off" />
            <TextField label="Id of the person read about" value={subject} onChange={setSubject} error={errors.subject} autoComplete="off" />
          </div>
          <div className="actions">
            <SubmitButton busy={log.isFetching && !log.isPending}>Show</SubmitButton>
            {filtered ? (
              <button type="button" className="button secondary" onClick={() => { only({}); setSince(""); }}>Clear the filters</button>
            ) : null}
          </div>
        </Form>
      </Section>
      <Section title="Reads">
        <QueryView query={log} isEmpty={(rows) => rows.length === 0 && offset === 0}
          empty={filtered ? "No read matches these filters." : "No sensitive record has been read yet."}>
          {(rows) => (
            <>
              <DataTable caption="Sensitive reads, newest first" columns={columns} rows={rows} rowKey={(r) => r.id ?? ""} />
              <Pager offset={offset} size={PAGE} count={rows.length} onChange={setOffset} />
            </>
          )}
        </QueryView>
      </Section>
    </Page>
  );
}
