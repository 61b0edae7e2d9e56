// Operators: every subscribing institution with its enrolled mentors against its R1 minimum (said in
// words), a link to each dashboard, and the way to subscribe a new one.
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { data, identity } from "../../api/client";
import type { components } from "../../api/schema/identity";
import { Badge, Page } from "../../ui/page";
import { QueryView } from "../../ui/status";
import { CsvButton, DataTable, type Column } from "../../ui/table";
import { complianceWords, csvName, kindLabel, plural } from "../institution/labels";

type Compliance = components["schemas"]["ComplianceOut"];

function words(c: Compliance) {
  return complianceWords(c.enrolled_mentors ?? 0, c.minimum_mentors ?? 0);
}

const COLUMNS: Column<Compliance>[] = [
  { key: "name", header: "Institution", csv: (c) => c.name, cell: (c) => <Link to={`/institutions/${c.institution_id}`}>{c.name}</Link> },
  { key: "kind", header: "Kind", cell: (c) => kindLabel(c.kind) },
  { key: "class", header: "Class size", cell: (c) => c.class_size ?? "—" },
  { key: "enrolled", header: "Enrolled mentors", cell: (c) => c.enrolled_mentors ?? 0 },
  { key: "minimum", header: "Minimum", cell: (c) => c.minimum_mentors ?? 0 },
  { key: "shortfall", header: "Still needed", cell: (c) => c.shortfall ?? 0 },
  {
    key: "compliance", header: "Compliance", csv: (c) => (words(c).met ? "met" : "below minimum"),
    cell: (c) => { const w = words(c); return <div className="cell"><Badge tone={w.met ? "good" : "warn"}>{w.met ? "Minimum met" : "Below minimum"}</Badge><br /><span className="small">{w.sentence}</span></div>; },
  },
  { key: "subscription", header: "Subscription", cell: (c) => c.subscription_status ?? "—" },
];

export default function Institutions() {
  const query = useQuery({
    queryKey: ["compliance", "all"],
    queryFn: () => data(identity.GET("/api/v1/identity/institutions/compliance")),
  });
  const rows = query.data ?? [];
  const below = rows.filter((c) => !words(c).met).length;
  return (
    <Page title="Institutions"
      intro={<p>Subscribing institutions and their enrolled mentors against the minimum for their class size.</p>}
      actions={
        <>
          <Link className="button" to="/institutions/new">Create an institution</Link>
          <CsvButton filename={csvName("mentormemed", "institutions")} columns={COLUMNS} rows={rows} label="Download institutions (CSV)" />
        </>
      }>
      <QueryView query={query} isEmpty={(r) => r.length === 0} empty="No institution has subscribed yet.">
        {(r) => (
          <>
            <p>{plural(r.length, "institution")}; {below === 0 ? "all meet their minimum." : `${below} below their minimum.`}</p>
            <DataTable caption="Institutions and their compliance" columns={COLUMNS} rows={r} rowKey={(c) => c.institution_id ?? ""} />
          </>
        )}
      </QueryView>
    </Page>
  );
}
