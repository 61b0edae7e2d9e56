// An institution's dashboard, for its administrators (their own institution only: identity refuses
// any other, and the refusal is said in words) and for operators (any institution): enrolled mentors
// against the R1 minimum, the enrollment code, mentee applications to decide, training completion,
// mentorship counts and the institution's mentors in the directory — each list downloadable as CSV.
import { useMutation, useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import { startTransition, useEffect, useState, type ReactNode } from "react";
import { Link, useParams } from "react-router";
import { data, identity } from "../../api/client";
import type { components as Directory } from "../../api/schema/directory";
import type { components as Identity } from "../../api/schema/identity";
import type { components as Mentorship } from "../../api/schema/mentorship";
import type { components as Training } from "../../api/schema/training";
import { useAuth } from "../../auth/AuthProvider";
import { Form, SubmitButton, TextArea, TextField, serverFieldError } from "../../ui/form";
import { formatDate, formatDateTime, percent } from "../../ui/format";
import { Badge, Facts, Page, Section } from "../../ui/page";
import { ErrorNote, Loading, Notice, QueryView } from "../../ui/status";
import { CsvButton, DataTable, type Column } from "../../ui/table";
import { ConfirmButton } from "./confirm";
import { BELOW, FIRST_SCREEN, institutionQuery, isRefusal, sectionQueries, sectionQuery } from "./queries";
import { complianceWords, csvName, eligibilityLabel, kindLabel, plural, scopeLabel, trackLabel, userStatus, yesNo } from "./labels";

type Institution = Identity["schemas"]["InstitutionAdminOut"];
type Applicant = Identity["schemas"]["UserOut"];
type Track = Training["schemas"]["TrackCompletionOut"];
type Missing = Training["schemas"]["MissingOut"] & { track?: string };
type Counts = Mentorship["schemas"]["InstitutionCountsOut"];
type DirectoryMentor = Directory["schemas"]["InstitutionMentorOut"];

export default function Dashboard() {
  const { institutionId = "" } = useParams();
  const { institutionId: ownInstitutionId, role } = useAuth();
  const institution = useQuery(institutionQuery(institutionId));

  // The sections' answers are asked for alongside the institution's (a refusal of the institution is
  // the same refusal for each: no retries, nothing shown).
  const firstScreen = useQueries({
    queries: FIRST_SCREEN.map((key) => sectionQuery(key, institutionId)),
  });
  useQueries({ queries: BELOW.map((key) => sectionQuery(key, institutionId)) });
  if (institution.isPending || (institution.isSuccess && firstScreen.some((q) => q.isPending))) {
    return <Loading label="Loading the institution…" />;
  }
  if (institution.isError) {
    if (isRefusal(institution.error)) {
      const own = role === "institution_admin" && ownInstitutionId && ownInstitutionId !== institutionId;
      return (
        <Page title="Dashboard not available">
          <div className="error-note" role="alert">
            <p className="error-title">This institution's dashboard is not open to you.</p>
            <p>
              {role === "institution_admin"
                ? "An institution administrator sees only their own institution's dashboard."
                : "There is no institution at this address."}
            </p>
          </div>
          {own ? <p><Link to={`/institutions/${ownInstitutionId}`}>Go to your institution's dashboard</Link></p> : null}
          {role === "operator" ? <p><Link to="/institutions">All institutions</Link></p> : null}
        </Page>
      );
    }
    return (
      <Page title="Institution dashboard">
        <ErrorNote error={institution.error} retry={() => void institution.refetch()} />
      </Page>
    );
  }
  return <Loaded institution={institution.data} id={institutionId} />;
}

function Loaded({ institution, id }: { institution: Institution; id: string }) {
  const name = institution.name ?? "Institution";
  return (
    <Page title={name}
      intro={<p>{kindLabel(institution.kind)} · class size {institution.class_size ?? "—"} · subscription {institution.subscription_status ?? "—"}</p>}
      actions={
        <>
          <Link className="button secondary" to={`/institutions/${id}/invitations`}>Invitations</Link>
          <Link className="button secondary" to={`/institutions/${id}/participation`}>Participation report</Link>
          <Link className="button secondary" to={`/institutions/${id}/rewards`}>Rewards for mentors</Link>
          <Link className="button secondary" to={`/institutions/${id}/webhooks`}>Event feeds</Link>
          <Link className="button secondary" to={`/institutions/${id}/surveys`}>Surveys</Link>
        </>
      }>
      <Compliance id={id} />
      <EnrollmentCode institution={institution} id={id} />
      <InvitationSummary id={id} />
      <Later id={id}>
        <Applications id={id} owner={name} />
        <TrainingCompletion id={id} owner={name} />
        <MentorshipCounts id={id} owner={name} />
        <DirectoryMentors id={id} owner={name} />
      </Later>
    </Page>
  );
}

/** The sections below the first screen: shown together once each has answered (one of them alone
 * arriving first would move the others), rendered in a transition, which yields to the browser between
 * components instead of blocking the main thread for the whole list of tables. */
function Later({ id, children }: { id: string; children: ReactNode }) {
  const answers = useQueries({ queries: BELOW.map((key) => sectionQuery(key, id)) });
  const answered = answers.every((q) => !q.isPending);
  const [shown, setShown] = useState(false);
  useEffect(() => {
    if (answered) startTransition(() => setShown(true));
  }, [answered]);
  return shown ? <>{children}</> : <p className="muted" role="status">Loading the lists…</p>;
}

// --- R1 ---------------------------------------------------------------------------------------------

function Compliance({ id }: { id: string }) {
  const query = useQuery(sectionQueries.compliance(id));
  return (
    <Section title="Enrolled mentors">
      <QueryView query={query}>
        {(c) => {
          const active = c.enrolled_mentors ?? 0;
          const minimum = c.minimum_mentors ?? 0;
          const { met, sentence } = complianceWords(active, minimum);
          return (
            <>
              <div className="stats">
                <div className="stat"><span>Enrolled mentors</span><strong>{active}</strong></div>
                <div className="stat"><span>Minimum required</span><strong>{minimum}</strong></div>
                <div className="stat"><span>Still needed</span><strong>{c.shortfall ?? Math.max(0, minimum - active)}</strong></div>
              </div>
              <p><Badge tone={met ? "good" : "warn"}>{met ? "Minimum met" : "Below minimum"}</Badge> {sentence}</p>
              <p className="muted small">
                Enrolled mentors are those admitted and in good standing (not removed or deactivated),
                whether or not they have finished training or are listed in search. The minimum follows the medical-school class size ({c.class_size ?? "—"} students):
                under 50 → 25 mentors, 50–100 → 50, over 100 → 75; HBCUs have none.
              </p>
            </>
          );
        }}
      </QueryView>
    </Section>
  );
}

// --- enrollment code ------------------------------------------------------------------------------------

function EnrollmentCode({ institution, id }: { institution: Institution; id: string }) {
  const queries = useQueryClient();
  const [issued, setIssued] = useState(false);
  const rotate = useMutation({
    mutationFn: () => data(identity.POST("/api/v1/identity/institutions/{institution_id}/enrollment-code", { params: { path: { institution_id: id } } })),
    onSuccess: (updated) => {
      queries.setQueryData(["institution", id], updated);
      setIssued(true);
    },
  });
  const code = institution.enrollment_code;
  return (
    <Section title="Enrollment code for students">
      <p>
        Give this code to your students: they register as mentees at{" "}
        <span className="mono break">{`${window.location.origin}/register`}</span> with it, and their application
        then waits for your approval below.
      </p>
      {code ? <p>Enrollment code: <strong className="enrollment-code">{code}</strong></p> : <p>No code has been issued yet.</p>}
      {issued ? <Notice tone="good">A new code was issued. The previous code no longer works.</Notice> : null}
      {rotate.error ? <ErrorNote error={rotate.error} /> : null}
      <ConfirmButton label={code ? "Issue a new code" : "Issue a code"} tone="primary"
        question={code ? "The current code will stop working at once. Issue a new code?" : "Issue an enrollment code?"}
        confirmLabel="Yes, issue a new code" busy={rotate.isPending} onConfirm={() => rotate.mutate()} />
    </Section>
  );
}

// --- invitations, in short (the list and the forms are on the Invitations screen) ---------------------------

function InvitationSummary({ id }: { id: string }) {
  const query = useQuery(sectionQueries.invitations(id));
  return (
    <Section title="Invitations" actions={<Link className="button secondary small" to={`/institutions/${id}/invitations`}>Invite or see all</Link>}>
      <QueryView query={query} isEmpty={(rows) => rows.length === 0} empty="No invitations have been sent yet.">
        {(rows) => {
          const waiting = (kind: string) => rows.filter((r) => r.kind === kind && r.state === "pending").length;
          const accepted = (kind: string) => rows.filter((r) => r.kind === kind && r.state === "accepted").length;
          return (
            <ul>
              <li>Mentors: {waiting("mentor")} waiting for an answer, {accepted("mentor")} accepted.</li>
              <li>Mentees: {waiting("mentee")} waiting for an answer, {accepted("mentee")} accepted.</li>
            </ul>
          );
        }}
      </QueryView>
    </Section>
  );
}

// --- mentee applications ------------------------------------------------------------------------------------

const APPLICANT_COLUMNS: Column<Applicant>[] = [
  { key: "name", header: "Name", cell: (a) => a.name ?? "" },
  { key: "email", header: "E-mail", cell: (a) => a.email ?? "" },
  { key: "applied", header: "Applied", cell: (a) => formatDate(a.created_at), csv: (a) => a.created_at },
];

function Applications({ id, owner }: { id: string; owner: string }) {
  const query = useQuery(sectionQueries.applications(id));
  const [decided, setDecided] = useState<string | null>(null);
  return (
    <Section title="Mentee applications"
      actions={<CsvButton filename={csvName(owner, "mentee-applications")} columns={APPLICANT_COLUMNS} rows={query.data ?? []} label="Download applications (CSV)" />}>
      <p className="muted small">
        Each applicant attested an eligibility basis. Approving enrolls them; declining closes the application.
      </p>
      {decided ? <Notice tone="good">{decided}</Notice> : null}
      <QueryView query={query} isEmpty={(rows) => rows.length === 0} empty="No applications are waiting for a decision.">
        {(rows) => (
          <ul className="cards" aria-label="Applications waiting for a decision">
            {rows.map((a) => <Applicant key={a.id} applicant={a} institutionId={id} onDecided={setDecided} />)}
          </ul>
        )}
      </QueryView>
    </Section>
  );
}

function Applicant({ applicant, institutionId, onDecided }: { applicant: Applicant; institutionId: string; onDecided: (what: string) => void }) {
  const queries = useQueryClient();
  const userId = applicant.id ?? "";
  const name = applicant.name ?? "this applicant";
  const [declining, setDeclining] = useState(false);
  const [note, setNote] = useState("");
  const refresh = () => void queries.invalidateQueries({ queryKey: ["applications", institutionId] });
  const approve = useMutation({
    mutationFn: () => data(identity.POST("/api/v1/identity/mentees/{user_id}/approve", { params: { path: { user_id: userId } }, body: { note: null } })),
    onSuccess: () => {
      onDecided(`${name} was approved and is now enrolled.`);
      refresh();
    },
  });
  const decline = useMutation({
    mutationFn: () => data(identity.POST("/api/v1/identity/mentees/{user_id}/decline", { params: { path: { user_id: userId } }, body: { note: note.trim() || null } })),
    onSuccess: () => {
      onDecided(`The application of ${name} was declined.`);
      refresh();
    },
  });
  const busy = approve.isPending || decline.isPending;
  return (
    <li className="result">
      <article aria-label={name}>
        <h3>{name}</h3>
        <Facts items={[["E-mail", applicant.email], ["Applied", formatDateTime(applicant.created_at)]]} />
        <EligibilityReview userId={userId} name={name} />
        {approve.error ? <ErrorNote error={approve.error} /> : null}
        {declining ? (
          <Form label={`Decline ${name}`} error={decline.error} onSubmit={() => decline.mutate()}>
            <TextArea label="Reason for declining (optional)" hint="Kept with the application's record." rows={3}
              maxLength={2000} value={note} onChange={setNote} error={serverFieldError(decline.error, "note")} />
            <div className="actions">
              <SubmitButton busy={decline.isPending} className="button danger">Decline application</SubmitButton>
              <button type="button" className="button secondary" disabled={busy} onClick={() => setDeclining(false)}>Cancel</button>
            </div>
          </Form>
        ) : (
          <div className="actions">
            <button type="button" className="button" aria-label={`Approve ${name}`} disabled={busy} aria-busy={approve.isPending || undefined}
              onClick={() => approve.mutate()}>
              {approve.isPending ? "Approving…" : "Approve"}
            </button>
            <button type="button" className="button secondary" aria-label={`Decline ${name}`} disabled={busy}
              onClick={() => setDeclining(true)}>
              Decline
            </button>
          </div>
        )}
      </article>
    </li>
  );
}

/** R4 review, on request only: the eligibility basis the applicant attested (nothing else of their
 * profile), read through the audited endpoint with the reason the admin gives. */
function EligibilityReview({ userId, name }: { userId: string; name: string }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("Review of the mentee application");
  const [error, setError] = useState<string | undefined>();
  const read = useMutation({
    mutationFn: () => data(identity.GET("/api/v1/identity/mentees/{user_id}/eligibility", { params: { path: { user_id: userId }, query: { reason: reason.trim() } } })),
  });
  if (read.data) {
    const found = read.data;
    return (
      <div className="sensitive">
        <p><strong>Eligibility attested by {name}</strong> (sensitive: your reading was written to the audit log)</p>
        <ul>{(found.eligibility ?? []).map((e) => <li key={e}>{eligibilityLabel(e)}</li>)}</ul>
        <p className="small">Attested {formatDateTime(found.attested_at)}, {found.admitted_via === "invitation" ? "after an invitation" : "with the enrollment code"}.</p>
        <button type="button" className="button secondary small" onClick={() => { read.reset(); setOpen(false); }}>Hide eligibility</button>
      </div>
    );
  }
  if (!open) {
    return (
      <p>
        <button type="button" className="button secondary small" aria-label={`Review eligibility of ${name}`} onClick={() => setOpen(true)}>
          Review eligibility
        </button>
      </p>
    );
  }
  return (
    <div className="sensitive">
      <p>
        The eligibility basis is sensitive (an education record). Reading it is written to the audit log with
        your name and the reason you give.
      </p>
      <Form label={`Review the eligibility of ${name}`} error={read.error && !serverFieldError(read.error, "reason") ? read.error : undefined}
        onSubmit={() => {
          if (reason.trim().length < 3) {
            setError("Say in a few words why you read this record.");
            return;
          }
          setError(undefined);
          read.mutate();
        }}>
        <TextField label="Why are you reading this record?" required maxLength={200} value={reason} onChange={setReason}
          error={error ?? serverFieldError(read.error, "reason")} />
        <div className="actions">
          <SubmitButton busy={read.isPending} className="button small">Show eligibility</SubmitButton>
          <button type="button" className="button secondary small" onClick={() => setOpen(false)}>Cancel</button>
        </div>
      </Form>
    </div>
  );
}

// --- training ---------------------------------------------------------------------------------------------------

const MISSING_COLUMNS: Column<Missing>[] = [
  { key: "name", header: "Name", cell: (m) => m.name ?? "" },
  { key: "track", header: "Track", cell: (m) => trackLabel(m.track) },
  { key: "attested", header: "Required modules attested", cell: (m) => `${m.required_attested ?? 0} of ${m.required_total ?? 0}` },
];
const MISSING_CSV: Column<Missing>[] = [
  ...MISSING_COLUMNS.slice(0, 2),
  { key: "attested", header: "Required modules attested", cell: (m) => m.required_attested ?? 0 },
  { key: "total", header: "Required modules", cell: (m) => m.required_total ?? 0 },
];

function TrainingCompletion({ id, owner }: { id: string; owner: string }) {
  const query = useQuery(sectionQueries.training(id));
  const tracks: Track[] = query.data?.tracks ?? [];
  const missing: Missing[] = tracks.flatMap((t) => (t.missing ?? []).map((m) => ({ ...m, track: t.track })));
  const trackColumns: Column<Track>[] = [
    { key: "track", header: "Track", cell: (t) => trackLabel(t.track) },
    { key: "enrolled", header: "Enrolled", cell: (t) => t.enrolled ?? 0 },
    { key: "trained", header: "Trained", cell: (t) => t.trained ?? 0 },
    { key: "share", header: "Share trained", cell: (t) => (t.enrolled ? percent((t.trained ?? 0) / t.enrolled) : "—") },
  ];
  return (
    <Section title="Training completion"
      actions={<CsvButton filename={csvName(owner, "training-not-completed")} columns={MISSING_CSV} rows={missing}
        label="Download who has not completed (CSV)" />}>
      <QueryView query={query} isEmpty={(d) => (d.tracks ?? []).length === 0} empty="No one of this institution is in a training track yet.">
        {() => (
          <>
            <DataTable caption="Training completion by track" columns={trackColumns} rows={tracks} rowKey={(t) => t.track ?? ""} />
            <h3 className="subheading">Still to complete their required training</h3>
            {missing.length === 0
              ? <p>{tracks.some((t) => (t.enrolled ?? 0) > 0) ? "Everyone enrolled has completed their required training." : "No one is enrolled in training yet."}</p>
              : <DataTable caption="People who have not completed their required training" columns={MISSING_COLUMNS} rows={missing}
                rowKey={(m) => `${m.track}-${m.user_id}`} />}
          </>
        )}
      </QueryView>
    </Section>
  );
}

// --- mentorship counts ----------------------------------------------------------------------------------------------

interface CountRow {
  label: string;
  mentees: number | undefined;
  mentors: number | undefined;
}

const COUNT_COLUMNS: Column<CountRow>[] = [
  { key: "what", header: "What", cell: (r) => r.label },
  { key: "mentees", header: "Of our mentees", cell: (r) => r.mentees ?? "—", csv: (r) => r.mentees ?? "" },
  { key: "mentors", header: "With our mentors", cell: (r) => r.mentors ?? "—", csv: (r) => r.mentors ?? "" },
];

export function countRows(c: Counts): CountRow[] {
  const e = c.mentees ?? {};
  const o = c.mentors ?? {};
  return [
    { label: "Open requests", mentees: e.requests?.open, mentors: o.requests?.open },
    { label: "Accepted requests", mentees: e.requests?.accepted, mentors: o.requests?.accepted },
    { label: "Declined requests", mentees: e.requests?.declined, mentors: o.requests?.declined },
    { label: "Expired requests (unanswered)", mentees: e.requests?.expired, mentors: o.requests?.expired },
    { label: "Withdrawn requests", mentees: e.requests?.withdrawn, mentors: o.requests?.withdrawn },
    { label: "Active mentorships", mentees: e.mentorships?.active, mentors: o.mentorships?.active },
    { label: "Concluded mentorships", mentees: e.mentorships?.concluded, mentors: o.mentorships?.concluded },
  ];
}

function MentorshipCounts({ id, owner }: { id: string; owner: string }) {
  const query = useQuery(sectionQueries.counts(id));
  const rows = query.data ? countRows(query.data) : [];
  return (
    <Section title="Mentorships"
      actions={<CsvButton filename={csvName(owner, "mentorship-counts")} columns={COUNT_COLUMNS} rows={rows} label="Download counts (CSV)" />}>
      <QueryView query={query}>
        {(c) => (
          <>
            <p>
              {plural(c.mentors?.enrolled_mentors ?? 0, "enrolled mentor")};{" "}
              {c.mentors?.mentors_in_mentorships ?? 0} of them in a mentorship now,{" "}
              {c.mentors?.mentors_at_capacity ?? 0} at capacity (3 active mentees each).
            </p>
            <DataTable caption="Requests and mentorships" columns={COUNT_COLUMNS} rows={rows} rowKey={(r) => r.label} />
          </>
        )}
      </QueryView>
    </Section>
  );
}

// --- the institution's mentors in the directory ------------------------------------------------------------------------------

const MENTOR_COLUMNS: Column<DirectoryMentor>[] = [
  { key: "name", header: "Mentor", csv: (m) => m.display_name ?? m.name ?? "",
    cell: (m) => (m.published && m.id ? <Link to={`/mentors/${m.id}`}>{m.display_name ?? m.name ?? "Mentor"}</Link> : (m.display_name ?? m.name ?? "—")) },
  { key: "status", header: "Status", cell: (m) => userStatus(m.status) },
  { key: "trained", header: "Training completed", cell: (m) => yesNo(m.trained), csv: (m) => yesNo(m.trained) },
  { key: "published", header: "Listed in search", cell: (m) => yesNo(m.published), csv: (m) => yesNo(m.published) },
  { key: "completeness", header: "Profile complete", cell: (m) => `${m.completeness ?? 0} %`, csv: (m) => m.completeness ?? 0 },
  { key: "missing", header: "Missing in profile", cell: (m) => (m.missing_fields ?? []).map((f) => f.replace(/_/g, " ")).join(", ") || "—",
    csv: (m) => (m.missing_fields ?? []).join(" ") },
  { key: "scope", header: "Scope", cell: (m) => scopeLabel(m.scope), csv: (m) => m.scope ?? "" },
  { key: "mentees", header: "Active mentees", cell: (m) => m.active_mentees ?? 0 },
  { key: "slots", header: "Open slots", cell: (m) => m.open_slots ?? 0 },
];

function DirectoryMentors({ id, owner }: { id: string; owner: string }) {
  const query = useQuery(sectionQueries.mentors(id));
  return (
    <Section title="Mentors in the directory"
      actions={<CsvButton filename={csvName(owner, "mentors")} columns={MENTOR_COLUMNS} rows={query.data ?? []} label="Download mentors (CSV)" />}>
      <QueryView query={query} isEmpty={(rows) => rows.length === 0} empty="No mentor of this institution has a directory profile yet.">
        {(rows) => <DataTable caption="The institution's mentors" columns={MENTOR_COLUMNS} rows={rows} rowKey={(m) => m.id ?? ""} />}
      </QueryView>
    </Section>
  );
}
