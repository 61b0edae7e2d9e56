// Operators: the research audit log (R16) — every request, decision, export, download link and download,
// and every refused download — newest first, a page at a time, filtered by action.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { data, evaluation } from "../../api/client";
import { Select } from "../../ui/form";
import { formatDateTime, roleName } from "../../ui/format";
import { Page, Section } from "../../ui/page";
import { QueryView } from "../../ui/status";
import { CsvButton, DataTable, type Column } from "../../ui/table";
import { csvName } from "../institution/labels";
import { Pager } from "../institution/pager";
import { auditActionWords, type AuditEntry } from "./research";

const PAGE = 50;
type Action = NonNullable<AuditEntry["action"]>;
const ACTIONS: Action[] = ["request_submitted", "request_decided", "export_created", "download_link_created", "export_downloaded", "download_refused"];

const COLUMNS: Column<AuditEntry>[] = [
  { key: "at", header: "When", cell: (e) => formatDateTime(e.at), csv: (e) => e.at },
  { key: "action", header: "What", cell: (e) => auditActionWords(e.action), csv: (e) => e.action },
  { key: "who", header: "Who", cell: (e) => <span className="cell">{roleName(e.actor_role)} <span className="mono small">{e.actor_id}</span></span>,
    csv: (e) => `${e.actor_role} ${e.actor_id}` },
  { key: "request", header: "Request", cell: (e) => (e.request_id ? <Link to={`/research/requests/${e.request_id}`} className="cell">Open the request</Link> : "—"),
    csv: (e) => e.request_id },
  { key: "detail", header: "Detail", cell: (e) => <span className="cell">{e.detail ?? "—"}</span>, csv: (e) => e.detail },
];

export default function ResearchAudit() {
  const [action, setAction] = useState<"" | Action>("");
  const [offset, setOffset] = useState(0);
  const log = useQuery({
    queryKey: ["evaluation", "research-audit", action, offset],
    queryFn: () => data(evaluation.GET("/api/v1/evaluation/research-audit", {
      params: { query: { limit: PAGE, offset, ...(action ? { action } : {}) } },
    })),
  });
  return (
    <Page title="Research audit log" intro={<p>Every research data request, decision, export and download, newest first.</p>}
      actions={<Link className="button secondary" to="/research/requests">Data requests</Link>}>
      <Section title="Entries" actions={<CsvButton filename={csvName("research", "audit")} columns={COLUMNS} rows={log.data ?? []} label="Download this page (CSV)" />}>
        <div className="filter-row">
          <Select label="Action" value={action} onChange={(v) => { setAction(v as "" | Action); setOffset(0); }}
            options={[{ value: "", label: "All actions" }, ...ACTIONS.map((a) => ({ value: a, label: auditActionWords(a) }))]} />
        </div>
        <QueryView query={log} loading="Loading the log…" isEmpty={(l) => l.length === 0 && offset === 0} empty="Nothing in the log yet.">
          {(l) => (
            <>
              <DataTable caption="Research audit log" columns={COLUMNS} rows={l} rowKey={(e) => String(e.id)} />
              <Pager offset={offset} size={PAGE} count={l.length} onChange={setOffset} />
            </>
          )}
        </QueryView>
      </Section>
    </Page>
  );
}
