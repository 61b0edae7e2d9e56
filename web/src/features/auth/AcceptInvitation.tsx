// Accepting an invitation (the e-mail's link carries the token in the URL fragment, which never reaches a
// server's logs): what it is for, the role's agreement, a password; a mentee also gives a profile and the
// eligibility attestation. Mentors and administrators are signed in at once; a mentee waits for the
// institution's approval, as identity decides.
import { useMutation, useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Link, useLocation, useNavigate } from "react-router";
import { data, identity } from "../../api/client";
import { ProblemError } from "../../api/problem";
import type { components } from "../../api/schema/identity";
import { useAuth } from "../../auth/AuthProvider";
import { Form, SubmitButton, TextField } from "../../ui/form";
import { deadline, roleName } from "../../ui/format";
import { Facts, Page } from "../../ui/page";
import { ErrorNote, Loading, Notice } from "../../ui/status";
import {
  ABOUT_YOU, AgreementAccept, Demographics, EligibilityFields, PasswordFields, ProfileBasics, SensitiveExplanation, fieldError,
  focusFirstError,
} from "./MenteeFields";
import {
  clean, emptyProfile, hasErrors, toProfileIn, validateAgreement, validateEligibility, validateName, validatePassword,
  validateProfile, type Eligibility, type Errors, type ProfileForm,
} from "./menteeForm";

type Inspected = components["schemas"]["InvitationInspected"];

const TITLE = "Accept your invitation";

/** The token of `#token=...` (or `?token=...`, as some mail programs rewrite links). */
export function invitationToken(hash: string, search: string): string | null {
  const fromHash = new URLSearchParams(hash.replace(/^#/, "")).get("token");
  const token = fromHash ?? new URLSearchParams(search).get("token");
  return token && token.trim() ? token.trim() : null;
}

/** Why an invitation cannot be used, in words (identity's 404 / 410 problem types). */
export function invitationRefusal(error: unknown): string | null {
  if (!(error instanceof ProblemError)) return null;
  switch (error.code) {
    case "invitation-expired":
      return "This invitation has expired. Invitations are valid for a limited time: ask the person who invited you to send a new one.";
    case "invitation-accepted":
      return "This invitation has already been used. If you accepted it, sign in with your e-mail address and password.";
    case "invitation-revoked":
      return "This invitation was withdrawn by your institution. Ask them for a new one if you still expect to join.";
    case "invitation-unknown":
      return "This invitation link is not valid. Check that you opened the whole link from the e-mail, or ask for a new invitation.";
    default:
      return error.status === 422 ? "This invitation link is not valid. Open the whole link from your invitation e-mail." : null;
  }
}

export default function AcceptInvitation() {
  const location = useLocation();
  const token = useMemo(() => invitationToken(location.hash, location.search), [location.hash, location.search]);
  const inspect = useQuery({
    queryKey: ["invitation", token],
    queryFn: () => data(identity.POST("/api/v1/identity/invitations/inspect", { body: { token: token ?? "" } })),
    enabled: token !== null,
    retry: false,
    staleTime: Infinity,
  });

  if (!token) {
    return (
      <Page title={TITLE}>
        <Notice tone="warn">
          <p>This page opens from the link in your invitation e-mail, and that link is missing its invitation code.
            Open the link from the e-mail again (the whole link, including the part after “#”).</p>
        </Notice>
      </Page>
    );
  }
  if (inspect.isPending) return <Page title={TITLE}><Loading label="Reading your invitation…" /></Page>;
  if (inspect.isError) {
    const words = invitationRefusal(inspect.error);
    return (
      <Page title={TITLE}>
        {words ? (
          <div className="error-note" role="alert">
            <p className="error-title">This invitation cannot be used</p>
            <p>{words}</p>
          </div>
        ) : <ErrorNote error={inspect.error} retry={() => void inspect.refetch()} />}
        <p><Link to="/signin">Go to sign in</Link></p>
      </Page>
    );
  }
  return <Accept token={token} invitation={inspect.data} />;
}

function Accept({ token, invitation }: { token: string; invitation: Inspected }) {
  const { signIn } = useAuth();
  const navigate = useNavigate();
  const mentee = invitation.kind === "mentee";
  const [name, setName] = useState(invitation.name ?? "");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [profile, setProfile] = useState<ProfileForm>(emptyProfile());
  const [eligibility, setEligibility] = useState<string[]>([]);
  const [attested, setAttested] = useState(false);
  const [accepted, setAccepted] = useState(false);
  const [errors, setErrors] = useState<Errors>({});
  const [waiting, setWaiting] = useState(false);

  const accept = useMutation({
    mutationFn: async () => {
      const user = await data(identity.POST("/api/v1/identity/invitations/accept", {
        body: {
          token,
          name: name.trim(),
          password,
          accept_agreement_version: invitation.agreement?.version ?? null,
          ...(mentee ? { profile: toProfileIn(profile), eligibility: eligibility as Eligibility[], attested } : {}),
        },
      }));
      if (user.status !== "active") return { user, signedIn: false }; // a mentee: the institution approves first
      try {
        await signIn(user.email ?? invitation.email ?? "", password);
        return { user, signedIn: true };
      } catch {
        return { user, signedIn: false }; // accepted all the same: sign in on the sign-in screen
      }
    },
    onSuccess: ({ user, signedIn }) => {
      if (signedIn) navigate("/", { replace: true });
      else if (user.status === "active") navigate("/signin", { replace: true });
      else setWaiting(true);
    },
  });

  if (waiting) {
    return (
      <Page title={TITLE}>
        <Notice tone="good"><p><strong>Invitation accepted.</strong> Thank you, {name.trim() || invitation.name}.</p></Notice>
        <section className="card" aria-labelledby="next-steps">
          <h2 id="next-steps">What happens next</h2>
          <p>{invitation.institution?.name ?? "Your institution"} approves mentee applications before anyone can sign
            in. Until your application is approved, signing in says that it is still waiting.</p>
          <p>MentorMeMed does not send an e-mail when it is approved: try signing in later, or ask your school's
            program office.</p>
          <p><Link to="/signin">Go to sign in</Link></p>
        </section>
      </Page>
    );
  }

  function submit() {
    const found = clean({
      name: validateName(name),
      ...validatePassword(password, confirm),
      ...validateAgreement(Boolean(invitation.agreement), accepted),
      ...(mentee ? { ...validateProfile(profile), ...validateEligibility(eligibility, attested) } : {}),
    });
    setErrors(found);
    if (hasErrors(found)) {
      focusFirstError();
      return;
    }
    accept.mutate();
  }

  const problem = accept.error;
  const refusal = invitationRefusal(problem);
  return (
    <Page title={TITLE} intro={<p>Set your password and accept the program's agreement to join MentorMeMed.</p>}>
      <section className="card" aria-labelledby="invitation-facts">
        <h2 id="invitation-facts">Your invitation</h2>
        <Facts items={[
          ["Institution", invitation.institution?.name],
          ["Invited as", roleName(invitation.kind)],
          ["Name", invitation.name],
          ["E-mail address", invitation.email],
          ["Valid until", invitation.expires_at ? deadline(invitation.expires_at) : "—"],
        ]} />
      </section>
      <Form onSubmit={submit} error={refusal ? null : problem} label={TITLE}>
        {refusal ? (
          <div className="error-note" role="alert">
            <p className="error-title">This invitation cannot be used</p>
            <p>{refusal}</p>
          </div>
        ) : null}
        <section className="card" aria-labelledby="inv-account">
          <h2 id="inv-account">Your account</h2>
          <p className="muted">You will sign in with {invitation.email}.</p>
          <TextField label="Full name" required value={name} onChange={setName} autoComplete="name" maxLength={200}
            error={fieldError(errors, problem, "name")} />
          <PasswordFields password={password} confirm={confirm} onPassword={setPassword} onConfirm={setConfirm}
            errors={errors} problem={problem} />
        </section>
        {mentee ? (
          <>
            <section className="card" aria-labelledby="inv-profile">
              <h2 id="inv-profile">About you</h2>
              <p className="muted">{ABOUT_YOU}</p>
              <ProfileBasics value={profile} onChange={setProfile} errors={errors} problem={problem} />
            </section>
            <section className="card sensitive" aria-labelledby="inv-sensitive">
              <h2 id="inv-sensitive">Eligibility and background (sensitive)</h2>
              <SensitiveExplanation />
              <EligibilityFields eligibility={eligibility} attested={attested} onEligibility={setEligibility}
                onAttested={setAttested} errors={errors} problem={problem} />
              <Demographics value={profile} onChange={setProfile} errors={errors} problem={problem} />
            </section>
          </>
        ) : null}
        {invitation.agreement ? (
          <AgreementAccept agreement={invitation.agreement} accepted={accepted} onAccepted={setAccepted}
            errors={errors} problem={problem} />
        ) : null}
        <SubmitButton busy={accept.isPending} busyLabel="Accepting…">Accept invitation</SubmitButton>
      </Form>
    </Page>
  );
}
