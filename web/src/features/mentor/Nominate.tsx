// A mentor nominates a colleague (/nominate): nomination by a current mentor is one of the criteria a
// mentor is admitted on (R2); the institution's administrators review it. Below, my nominations.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { data, identity } from "../../api/client";
import type { components } from "../../api/schema/identity";
import { Form, SubmitButton, TextArea, TextField, serverFieldError } from "../../ui/form";
import { formatDate } from "../../ui/format";
import { Badge, Page, Section } from "../../ui/page";
import { Notice, QueryView } from "../../ui/status";
import { DataTable, type Column } from "../../ui/table";
import { LIMITS, validateNomination, type NominationForm } from "./validation";

type Nomination = components["schemas"]["NominationOut"];

const EMPTY: NominationForm = { name: "", email: "", evidence: "" };

function status(n: Nomination) {
  switch (n.status) {
    case "approved": return <Badge tone="good">Approved: invitation sent</Badge>;
    case "declined": return <Badge tone="warn">Declined</Badge>;
    default: return <Badge tone="info">Waiting for review</Badge>;
  }
}

const COLUMNS: Column<Nomination>[] = [
  { key: "name", header: "Colleague", cell: (n) => n.name ?? "" },
  { key: "email", header: "E-mail", cell: (n) => n.email ?? "" },
  { key: "created", header: "Nominated on", cell: (n) => formatDate(n.created_at) },
  { key: "status", header: "Status", cell: status },
  { key: "decided", header: "Decided on", cell: (n) => (n.decided_at ? formatDate(n.decided_at) : "Not yet") },
];

export default function Nominate() {
  const queryClient = useQueryClient();
  const mine = useQuery({
    queryKey: ["identity", "nominations"],
    queryFn: () => data(identity.GET("/api/v1/identity/nominations")),
  });
  const [form, setForm] = useState<NominationForm>(EMPTY);
  const [errors, setErrors] = useState<Partial<Record<keyof NominationForm, string>>>({});
  const [sent, setSent] = useState<string | null>(null);
  const nominate = useMutation({
    mutationFn: (body: NominationForm) => data(identity.POST("/api/v1/identity/nominations", { body })),
    onSuccess: async (n) => {
      setSent(`Your nomination of ${n.name} is sent. Your institution's administrators will review it; if they approve it, ${n.name} receives an invitation by e-mail.`);
      setForm(EMPTY);
      await queryClient.invalidateQueries({ queryKey: ["identity", "nominations"] });
    },
  });
  const set = (key: keyof NominationForm) => (value: string) => setForm((f) => ({ ...f, [key]: value }));

  function submit() {
    const found = validateNomination(form);
    setErrors(found);
    setSent(null);
    if (Object.keys(found).length) return;
    nominate.mutate({ name: form.name.trim(), email: form.email.trim(), evidence: form.evidence.trim() });
  }

  const problem = nominate.error;
  return (
    <Page title="Nominate a colleague" intro={<p>Know a physician who would be a good mentor? Nomination by a current
      mentor is one of the ways a mentor is admitted to the program. Your institution's administrators review each
      nomination; when they approve it, your colleague is invited to join.</p>}>
      {sent ? <Notice tone="good">{sent}</Notice> : null}
      <Section title="New nomination">
        <Form onSubmit={submit} error={problem} label="Nominate a colleague">
          <TextField label="Colleague's name" required value={form.name} onChange={set("name")} autoComplete="off"
            maxLength={LIMITS.nominationName} error={errors.name ?? serverFieldError(problem, "name")} />
          <TextField label="Colleague's e-mail address" type="email" inputMode="email" required value={form.email}
            onChange={set("email")} autoComplete="off" error={errors.email ?? serverFieldError(problem, "email")} />
          <TextArea label="Why you nominate them" required value={form.evidence} onChange={set("evidence")} rows={5}
            maxLength={LIMITS.evidence}
            hint="Their work with learners: teaching, mentoring, what you have seen. The administrators read it; it is kept as the evidence of their admission."
            error={errors.evidence ?? serverFieldError(problem, "evidence")} />
          <SubmitButton busy={nominate.isPending} busyLabel="Sending…">Send nomination</SubmitButton>
        </Form>
      </Section>
      <Section title="My nominations">
        <QueryView query={mine} isEmpty={(rows) => rows.length === 0} empty="You have not nominated anyone yet."
          loading="Loading your nominations…">
          {(rows) => <DataTable caption="My nominations" columns={COLUMNS} rows={rows} rowKey={(n) => n.id ?? n.email ?? ""} />}
        </QueryView>
      </Section>
    </Page>
  );
}
