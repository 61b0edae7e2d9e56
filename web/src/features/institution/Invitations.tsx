// An institution's invitations: who was invited as what, whether they answered, until when; revoke a
// pending one; invite a mentor (on an R2 criterion with evidence), a mentee, or (operators) an
// administrator; invite many mentors or mentees from a CSV file (ImportInvitations). The invitation's token goes to the invitee by e-mail only, so the screen says so.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { data, identity } from "../../api/client";
import type { components } from "../../api/schema/identity";
import { useAuth } from "../../auth/AuthProvider";
import { Choices, Form, Select, SubmitButton, TextArea, TextField, serverFieldError } from "../../ui/form";
import { formatDate, formatDateTime } from "../../ui/format";
import { Badge, Page, Section } from "../../ui/page";
import { ErrorNote, Loading, Notice, QueryView } from "../../ui/status";
import { CsvButton, DataTable, type Column } from "../../ui/table";
import { ConfirmButton } from "./confirm";
import { ImportInvitations } from "./ImportInvitations";
import { MENTOR_CRITERIA, criteriaOf, csvName, isRefusal, invitationKind, invitationState, type MentorCriterion } from "./labels";
import { hasErrors, validateInvite, type InviteInput } from "./validate";
import { NotYourInstitution } from "./refused";

type Invitation = components["schemas"]["InvitationOut"];
type Kind = InviteInput["kind"];

function kindOf(value: string | undefined): Kind {
  return value === "mentee" || value === "institution_admin" ? value : "mentor";
}

export default function Invitations() {
  const { institutionId = "" } = useParams();
  const { role } = useAuth();
  const institution = useQuery({
    queryKey: ["institution", institutionId],
    queryFn: () => data(identity.GET("/api/v1/identity/institutions/{institution_id}", { params: { path: { institution_id: institutionId } } })),
    retry: (count, error) => !isRefusal(error) && count < 2,
  });
  const list = useQuery({
    queryKey: ["invitations", institutionId],
    queryFn: () => data(identity.GET("/api/v1/identity/institutions/{institution_id}/invitations", { params: { path: { institution_id: institutionId } } })),
    retry: (count, error) => !isRefusal(error) && count < 2,
  });

  if (institution.isPending) return <Loading label="Loading the invitations…" />;
  if (institution.isError) {
    return (
      <Page title="Invitations">
        {isRefusal(institution.error) ? (
          <NotYourInstitution what="invitations" />
        ) : <ErrorNote error={institution.error} retry={() => void institution.refetch()} />}
      </Page>
    );
  }
  const owner = institution.data.name;
  const rows = sortInvitations(list.data ?? []);
  return (
    <Page title="Invitations"
      intro={<p>{owner}: invite mentors, mentees{role === "operator" ? " and administrators" : ""}, and follow their answers.</p>}
      actions={<Link className="button secondary" to={`/institutions/${institutionId}`}>Back to the dashboard</Link>}>
      <InviteForms institutionId={institutionId} operator={role === "operator"} />
      <ImportInvitations institutionId={institutionId} />
      <AdmissionBasis institutionId={institutionId} />
      <Section title="Sent invitations"
        actions={<CsvButton filename={csvName(owner, "invitations")} columns={CSV_COLUMNS} rows={rows} label="Download invitations (CSV)" />}>
        <QueryView query={list} isEmpty={(r) => r.length === 0} empty="No invitations have been sent yet.">
          {() => <InvitationTable rows={rows} institutionId={institutionId} />}
        </QueryView>
      </Section>
    </Page>
  );
}

/** Pending first (soonest to expire first), then the rest, newest first. */
export function sortInvitations(rows: Invitation[]): Invitation[] {
  const pending = rows.filter((r) => r.state === "pending")
    .sort((a, b) => (a.expires_at ?? "").localeCompare(b.expires_at ?? "") || (a.name ?? "").localeCompare(b.name ?? ""));
  const rest = rows.filter((r) => r.state !== "pending").sort((a, b) => (b.created_at ?? "").localeCompare(a.created_at ?? ""));
  return [...pending, ...rest];
}

const CSV_COLUMNS: Column<Invitation>[] = [
  { key: "name", header: "Name", cell: (i) => i.name ?? "" },
  { key: "email", header: "E-mail", cell: (i) => i.email ?? "" },
  { key: "kind", header: "Invited as", cell: (i) => invitationKind(i.kind) },
  { key: "state", header: "Status", cell: (i) => invitationState(i.state).label },
  { key: "sent", header: "Sent", cell: (i) => i.created_at ?? "" },
  { key: "expires", header: "Expires", cell: (i) => i.expires_at ?? "" },
  { key: "accepted", header: "Accepted", cell: (i) => i.accepted_at ?? "" },
  { key: "revoked", header: "Revoked", cell: (i) => i.revoked_at ?? "" },
];

function InvitationTable({ rows, institutionId }: { rows: Invitation[]; institutionId: string }) {
  const queries = useQueryClient();
  const [revoked, setRevoked] = useState<string | null>(null);
  const revoke = useMutation({
    mutationFn: (invitation: Invitation) => data(identity.POST("/api/v1/identity/invitations/{invitation_id}/revoke", { params: { path: { invitation_id: invitation.id ?? "" } } })),
    onSuccess: (done) => {
      setRevoked(`The invitation of ${done.name ?? done.email} was revoked; its link no longer works.`);
      void queries.invalidateQueries({ queryKey: ["invitations", institutionId] });
    },
  });
  const columns: Column<Invitation>[] = [
    { key: "name", header: "Name", cell: (i) => <div className="cell"><strong>{i.name}</strong><br /><span className="small">{i.email}</span></div> },
    { key: "kind", header: "Invited as", cell: (i) => invitationKind(i.kind) },
    { key: "state", header: "Status", cell: (i) => { const s = invitationState(i.state); return <span><Badge tone={s.tone}>{s.label}</Badge></span>; } },
    { key: "sent", header: "Sent", cell: (i) => formatDate(i.created_at) },
    {
      key: "until", header: "Expires or answered",
      cell: (i) => i.accepted_at ? `Accepted ${formatDate(i.accepted_at)}` : i.revoked_at ? `Revoked ${formatDate(i.revoked_at)}` : `${i.state === "expired" ? "Expired" : "Expires"} ${formatDateTime(i.expires_at)}`,
    },
    {
      key: "actions", header: "Actions",
      cell: (i) => i.state === "pending" ? (
        <div><ConfirmButton label="Revoke" ariaLabel={`Revoke the invitation of ${i.name}`}
          question={`Revoke the invitation of ${i.name}? Its link stops working.`} confirmLabel="Yes, revoke"
          busy={revoke.isPending && revoke.variables?.id === i.id} onConfirm={() => revoke.mutate(i)} /></div>
      ) : "—",
    },
  ];
  return (
    <>
      {revoked ? <Notice tone="good">{revoked}</Notice> : null}
      {revoke.error ? <ErrorNote error={revoke.error} /> : null}
      <DataTable caption="Invitations" columns={columns} rows={rows} rowKey={(i) => i.id ?? ""} />
    </>
  );
}

// --- inviting -------------------------------------------------------------------------------------------------------

function InviteForms({ institutionId, operator }: { institutionId: string; operator: boolean }) {
  const [kind, setKind] = useState<Kind>("mentor");
  const options = [
    { value: "mentor", label: "A mentor" },
    { value: "mentee", label: "A mentee" },
    ...(operator ? [{ value: "institution_admin", label: "An institution administrator" }] : []),
  ];
  return (
    <Section title="Invite someone">
      <Choices legend="Whom do you invite?" multiple={false} options={options} selected={[kind]}
        onChange={(v) => setKind(kindOf(v[0]))} />
      {!operator ? <p className="muted small">Institution administrators are invited by the program's operators.</p> : null}
      <InviteForm key={kind} kind={kind} institutionId={institutionId} />
    </Section>
  );
}

function InviteForm({ kind, institutionId }: { kind: Kind; institutionId: string }) {
  const queries = useQueryClient();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [criteria, setCriteria] = useState<MentorCriterion[]>([]);
  const [evidence, setEvidence] = useState("");
  const [nominatedBy, setNominatedBy] = useState("");
  const [errors, setErrors] = useState<ReturnType<typeof validateInvite>>({});
  const [sent, setSent] = useState<string | null>(null);
  const nominating = kind === "mentor" && criteria.includes("nominated_by_current_mentor");

  const mentors = useQuery({
    queryKey: ["active-mentors", institutionId],
    queryFn: () => data(identity.GET("/api/v1/identity/users", { params: { query: { institution_id: institutionId, role: "mentor", status: "active", limit: 500 } } })),
    enabled: nominating,
  });

  const path = { params: { path: { institution_id: institutionId } } };
  const invite = useMutation({
    mutationFn: async () => {
      const person = { name: name.trim(), email: email.trim() };
      if (kind === "mentor") {
        return data(identity.POST("/api/v1/identity/institutions/{institution_id}/mentor-invitations", {
          ...path,
          body: { ...person, criteria, evidence: evidence.trim(), nominated_by: nominating ? nominatedBy : null },
        }));
      }
      if (kind === "mentee") return data(identity.POST("/api/v1/identity/institutions/{institution_id}/mentee-invitations", { ...path, body: person }));
      return data(identity.POST("/api/v1/identity/institutions/{institution_id}/admin-invitations", { ...path, body: person }));
    },
    onSuccess: (created) => {
      setSent(`An invitation e-mail was sent to ${created.name ?? name} (${created.email ?? email}). The link in it is theirs alone and expires ${formatDateTime(created.expires_at)}.`);
      setName("");
      setEmail("");
      setCriteria([]);
      setEvidence("");
      setNominatedBy("");
      void queries.invalidateQueries({ queryKey: ["invitations", institutionId] });
    },
  });

  function submit() {
    setSent(null);
    const found = validateInvite({ kind, name, email, criteria, evidence, nominatedBy });
    setErrors(found);
    if (!hasErrors(found)) invite.mutate();
  }

  const what = kind === "mentor" ? "mentor" : kind === "mentee" ? "mentee" : "administrator";
  const fieldError = (field: keyof typeof errors) => errors[field] ?? serverFieldError(invite.error, field);
  return (
    <Form label={`Invite a ${what}`} error={invite.error} onSubmit={submit}>
      {sent ? <Notice tone="good">{sent}</Notice> : null}
      <TextField label="Name" required autoComplete="off" maxLength={200} value={name} onChange={setName} error={fieldError("name")} />
      <TextField label="E-mail address" type="email" inputMode="email" autoComplete="off" required value={email} onChange={setEmail}
        error={fieldError("email")} />
      {kind === "mentor" ? (
        <>
          <Choices legend="Admission criterion (at least one)"
            hint="A mentor is admitted on a shared background, a track record with learners, or a nomination. Shared background is self-identified by the mentor."
            options={MENTOR_CRITERIA.map((c) => ({ value: c.value, label: c.label }))} selected={criteria} onChange={(v) => setCriteria(criteriaOf(v))}
            error={fieldError("criteria")} />
          {nominating ? (
            mentors.isPending ? <Loading label="Loading the active mentors…" /> : mentors.isError ? <ErrorNote error={mentors.error} /> : (
              <Select label="Nominating mentor" required value={nominatedBy} onChange={setNominatedBy} error={fieldError("nominated_by")}
                options={[{ value: "", label: "Choose an active mentor" }, ...mentors.data.map((m) => ({ value: m.id ?? "", label: m.name ?? m.email ?? "" }))]} />
            )
          ) : null}
          <TextArea label="Evidence" required maxLength={2000} rows={3} value={evidence} onChange={setEvidence}
            hint="What supports the criterion: for example the award and its year, or who nominated them and when."
            error={fieldError("evidence")} />
        </>
      ) : kind === "mentee" ? (
        <p className="muted small">The mentee gives their profile and attests their eligibility when accepting; you then approve the application on the dashboard.</p>
      ) : (
        <p className="muted small">The administrator will manage this institution: its invitations, applications and event feeds.</p>
      )}
      <SubmitButton busy={invite.isPending} busyLabel="Sending…">{`Invite the ${what}`}</SubmitButton>
    </Form>
  );
}

// --- a mentor's admission basis (R2), an audited read -------------------------------------------------------

/** The criteria and evidence a mentor was admitted on: identity writes every read of them to the audit
 * log, so the admin picks the mentor and says why, and only then sees them. */
function AdmissionBasis({ institutionId }: { institutionId: string }) {
  const [mentorId, setMentorId] = useState("");
  const [reason, setReason] = useState("");
  const [errors, setErrors] = useState<{ mentor?: string; reason?: string }>({});
  const mentors = useQuery({
    queryKey: ["mentors-of", institutionId],
    queryFn: () => data(identity.GET("/api/v1/identity/users", { params: { query: { institution_id: institutionId, role: "mentor", limit: 500 } } })),
  });
  const read = useMutation({
    mutationFn: () => data(identity.GET("/api/v1/identity/users/{user_id}/admission", { params: { path: { user_id: mentorId }, query: { reason: reason.trim() } } })),
  });
  const name = mentors.data?.find((m) => m.id === mentorId)?.name ?? "the mentor";
  const label = (code: string) => MENTOR_CRITERIA.find((c) => c.value === code)?.label ?? code;
  return (
    <Section title="A mentor's admission basis">
      <p className="muted small">
        The criteria and evidence a mentor was admitted on. Shared background is self-identified: each reading is written
        to the audit log with your name and reason.
      </p>
      {mentors.isPending ? <Loading label="Loading the mentors…" /> : mentors.isError ? <ErrorNote error={mentors.error} /> : mentors.data.length === 0 ? (
        <p>No mentor has accepted an invitation yet.</p>
      ) : (
        <Form label="Read a mentor's admission basis" error={read.error && !serverFieldError(read.error, "reason") ? read.error : undefined}
          onSubmit={() => {
            const found = { mentor: mentorId ? undefined : "Choose a mentor.", reason: reason.trim().length >= 3 ? undefined : "Say in a few words why you read this record." };
            setErrors(found);
            if (!found.mentor && !found.reason) read.mutate();
          }}>
          <Select label="Mentor" required value={mentorId} error={errors.mentor}
            onChange={(v) => { setMentorId(v); read.reset(); }}
            options={[{ value: "", label: "Choose a mentor" }, ...mentors.data.map((m) => ({ value: m.id ?? "", label: m.name ?? m.email ?? "" }))]} />
          <TextField label="Why are you reading this record?" required maxLength={200} value={reason} onChange={setReason}
            error={errors.reason ?? serverFieldError(read.error, "reason")} />
          <SubmitButton busy={read.isPending} className="button secondary">Show the admission basis</SubmitButton>
        </Form>
      )}
      {read.data ? (
        <div className="sensitive">
          <p><strong>Admission basis of {name}</strong> (your reading was written to the audit log)</p>
          {(read.data.admissions ?? []).map((a) => (
            <div key={a.admitted_at}>
              <p>Admitted {formatDate(a.admitted_at)} on:</p>
              <ul>{(a.criteria ?? []).map((c) => <li key={c}>{label(c)}</li>)}</ul>
              <p>Evidence: {a.evidence}</p>
            </div>
          ))}
          <button type="button" className="button secondary small" onClick={() => read.reset()}>Hide</button>
        </div>
      ) : null}
    </Section>
  );
}
