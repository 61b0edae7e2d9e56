// My account: who I am to the platform (identity's /me), my institution, my agreement; a mentee shows
// and edits their profile (PUT /me/profile: contact and demographics; the eligibility was attested once,
// at admission). The profile is read only when asked for: it is sensitive, and every read is logged.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { data, identity } from "../../api/client";
import { useAuth, useUser } from "../../auth/AuthProvider";
import { Form, SubmitButton } from "../../ui/form";
import { formatDate, formatDateTime, roleName } from "../../ui/format";
import { Badge, Facts, Page } from "../../ui/page";
import { ErrorNote, Loading, Notice } from "../../ui/status";
import { Demographics, ProfileBasics, focusFirstError } from "../auth/MenteeFields";
import {
  eligibilityName, fromStoredProfile, hasErrors, toProfileIn, validateProfile, type Errors, type ProfileForm,
} from "../auth/menteeForm";

export function statusWords(status: string | undefined): { label: string; tone: "good" | "warn" | "bad" | "neutral" } {
  switch (status) {
    case "active": return { label: "Active", tone: "good" };
    case "pending": return { label: "Waiting for approval", tone: "warn" };
    case "declined": return { label: "Application declined", tone: "bad" };
    case "ejected": return { label: "Removed from the program", tone: "bad" };
    case "exited": return { label: "Left the program", tone: "neutral" };
    case "deactivated": return { label: "Deactivated", tone: "bad" };
    default: return { label: status ?? "—", tone: "neutral" };
  }
}

export default function Account() {
  const { me } = useAuth();
  const user = useUser();
  const institution = useQuery({
    queryKey: ["institution", user.institution_id],
    queryFn: () => data(identity.GET("/api/v1/identity/institutions/{institution_id}", {
      params: { path: { institution_id: user.institution_id ?? "" } },
    })),
    enabled: Boolean(user.institution_id),
  });
  const status = statusWords(user.status);
  const agreement = me?.agreement;

  return (
    <Page title="My account">
      <section className="card" aria-labelledby="account-who">
        <h2 id="account-who">Your details</h2>
        <Facts items={[
          ["Name", user.name],
          ["E-mail address", user.email],
          ["Role", roleName(user.role)],
          ["Institution", !user.institution_id ? "The MentorMeMed program" : institution.isPending
            ? <span key="i" className="loading" role="status">Loading…</span>
            : institution.isError ? "Could not be loaded" : institution.data?.name],
          ["Status", <Badge key="s" tone={status.tone}>{status.label}</Badge>],
          ["Member since", formatDate(user.created_at)],
          ["Agreement", agreement ? agreementWords(agreement.role, agreement.accepted_version, agreement.current_version) : "None for your role"],
        ]} />
        {institution.isError ? <ErrorNote error={institution.error} retry={() => void institution.refetch()} /> : null}
      </section>

      <section className="card" aria-labelledby="account-links">
        <h2 id="account-links">Settings</h2>
        <ul>
          <li><Link to="/settings/notifications">Notification settings</Link>: which e-mails you receive.</li>
          {user.role === "mentor" ? (
            <>
              <li><Link to="/profile">My mentor profile</Link>: what mentees see in search, and your availability.</li>
              <li><Link to="/training/cme">My CME certificates</Link></li>
            </>
          ) : null}
          {user.role === "mentee" || user.role === "mentor" ? <li><Link to="/training">My training</Link></li> : null}
        </ul>
      </section>

      {user.role === "mentee" ? <MenteeProfile userId={user.id ?? ""} /> : null}
    </Page>
  );
}

function agreementWords(role: string | undefined, accepted: number | null | undefined, current: number | null | undefined): string {
  const name = `${role ?? ""} agreement`.trim();
  if (!current) return `No ${name} is in force`;
  if (accepted === current) return `You accepted the ${name}, version ${current} (the current one)`;
  if (accepted) return `You accepted version ${accepted}; version ${current} awaits your acceptance at your next sign-in`;
  return `Version ${current} awaits your acceptance`;
}

function MenteeProfile({ userId }: { userId: string }) {
  const [shown, setShown] = useState(false);
  return (
    <section className="card sensitive" aria-labelledby="account-profile">
      <h2 id="account-profile">My mentee profile (sensitive)</h2>
      <p>Your contact details, studies and background, as you gave them when you joined. Only you, your institution's
        administrators and the program's operators can read them, and every read is logged — including yours.
        A mentor you ask sees only your name, school, training stage and expected graduation year (and your e-mail
        once they accept); never your background or eligibility.</p>
      {shown ? <ProfileEditor userId={userId} onHide={() => setShown(false)} /> : (
        <button type="button" className="button secondary" onClick={() => setShown(true)}>Show and edit my profile</button>
      )}
    </section>
  );
}

function ProfileEditor({ userId, onHide }: { userId: string; onHide: () => void }) {
  const queries = useQueryClient();
  const profile = useQuery({
    queryKey: ["mentee-profile", userId],
    queryFn: () => data(identity.GET("/api/v1/identity/mentees/{user_id}/profile", { params: { path: { user_id: userId } } })),
    staleTime: Infinity,
    gcTime: 0, // sensitive: not kept in memory after the editor closes
  });
  if (profile.isPending) return <Loading label="Loading your profile…" />;
  if (profile.isError) return <ErrorNote error={profile.error} retry={() => void profile.refetch()} />;
  const p = profile.data;
  return (
    <>
      <Facts items={[
        ["Eligibility (attested)", (p.eligibility ?? []).map(eligibilityName).join("; ") || "—"],
        ["Attested on", formatDate(p.attested_at)],
        ["Approved on", p.decided_at ? formatDateTime(p.decided_at) : "Not yet"],
      ]} />
      <p className="muted small">Your eligibility was attested when you joined and is not changed here. If it was
        recorded wrongly, ask your institution's program office.</p>
      <EditForm initial={fromStoredProfile(p.demographics ?? {}, p.contact ?? {})}
        onSaved={() => void queries.invalidateQueries({ queryKey: ["mentee-profile", userId] })} onHide={onHide} />
    </>
  );
}

function EditForm({ initial, onSaved, onHide }: { initial: ProfileForm; onSaved: () => void; onHide: () => void }) {
  const [value, setValue] = useState(initial);
  const [errors, setErrors] = useState<Errors>({});
  const save = useMutation({
    mutationFn: () => data(identity.PUT("/api/v1/identity/me/profile", { body: toProfileIn(value) })),
    onSuccess: onSaved,
  });
  function submit() {
    const found = validateProfile(value);
    setErrors(found);
    if (hasErrors(found)) {
      focusFirstError();
      return;
    }
    save.mutate();
  }
  return (
    <Form onSubmit={submit} error={save.error} label="My mentee profile">
      <h3>Contact and studies</h3>
      <ProfileBasics value={value} onChange={(v) => { setValue(v); save.reset(); }} errors={errors} problem={save.error} />
      <h3>Background</h3>
      <Demographics value={value} onChange={(v) => { setValue(v); save.reset(); }} errors={errors} problem={save.error} />
      {save.isSuccess ? <Notice tone="good"><p>Your profile is saved.</p></Notice> : null}
      <div className="actions">
        <SubmitButton busy={save.isPending} busyLabel="Saving…">Save my profile</SubmitButton>
        <button type="button" className="button secondary" onClick={onHide}>Hide my profile</button>
      </div>
    </Form>
  );
}
