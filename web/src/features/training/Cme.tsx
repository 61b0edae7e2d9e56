// A mentor's CME certificates (R7): one per credit-bearing module attested, each downloadable as PDF and
// verifiable by its code.
import { useMutation, useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { data, download, training } from "../../api/client";
import type { components } from "../../api/schema/training";
import { formatDate } from "../../ui/format";
import { Page } from "../../ui/page";
import { ErrorNote, QueryView } from "../../ui/status";
import { hours } from "./training";

type Credit = components["schemas"]["CreditOut"];

export default function Cme() {
  const cme = useQuery({
    queryKey: ["training", "cme"],
    queryFn: () => data(training.GET("/api/v1/training/me/cme")),
  });
  return (
    <Page title="My CME certificates" intro={<p>Each completed mentor module that carries CME credit gives you a certificate.
      Anyone can check a certificate's code with the program.</p>}>
      <p><Link to="/training">Back to Training</Link></p>
      <QueryView query={cme} isEmpty={(c) => (c.credits ?? []).length === 0} loading="Loading your certificates…"
        empty={<>No certificates yet. Complete the mentor modules in <Link to="/training">Training</Link> to earn CME credit.</>}>
        {(c) => (
          <>
            <p><strong>Total: {hours(c.total_credit_hours ?? 0)}</strong></p>
            <ul className="cards">
              {(c.credits ?? []).map((credit) => <Certificate key={credit.id} credit={credit} />)}
            </ul>
          </>
        )}
      </QueryView>
    </Page>
  );
}

function Certificate({ credit }: { credit: Credit }) {
  const save = useMutation({
    mutationFn: () => download(`/api/v1/training/me/cme/${credit.id}/certificate`, `cme-certificate-${credit.code}.pdf`),
  });
  return (
    <li className="result">
      <h2>{credit.module_title}</h2>
      <p>{hours(credit.credit_hours)} · awarded {formatDate(credit.awarded_at)} · module version {credit.module_version}</p>
      <p className="small">Verification code: <code>{credit.code}</code></p>
      {save.error ? <ErrorNote error={save.error} /> : null}
      <button type="button" className="button secondary" disabled={save.isPending} aria-busy={save.isPending || undefined}
        onClick={() => save.mutate()} aria-label={`Download certificate (PDF): ${credit.module_title}`}>
        {save.isPending ? "Downloading…" : "Download certificate (PDF)"}
      </button>
    </li>
  );
}
