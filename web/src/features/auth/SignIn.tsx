// Sign in. When the person's role has a newer agreement, identity answers 403 agreement-required:
// the agreement is shown here, and accepting it signs in.
import { useState } from "react";
import { Link, Navigate, useLocation, useNavigate } from "react-router";
import { data, identity } from "../../api/client";
import { ProblemError } from "../../api/problem";
import { useAuth } from "../../auth/AuthProvider";
import { Checkbox, Form, SubmitButton, TextField } from "../../ui/form";
import { Page } from "../../ui/page";
import { Loading } from "../../ui/status";

interface Agreement {
  role: "mentor" | "mentee";
  version: number;
  title: string;
  body?: string;
}

export function validateSignIn(email: string, password: string): { email?: string; password?: string } {
  const errors: { email?: string; password?: string } = {};
  if (!email.trim()) errors.email = "Enter your e-mail address.";
  else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim())) errors.email = "Enter an e-mail address like name@school.edu.";
  if (!password) errors.password = "Enter your password.";
  return errors;
}

/** identity's 403 account-not-active, in words: the account's status says what the person can do. */
export function accountNotActive(error: ProblemError): ProblemError {
  const status = typeof error.body.status_of_account === "string" ? error.body.status_of_account : "";
  const words: Record<string, [string, string]> = {
    pending: ["Your application is waiting for approval",
      "Your institution's program administrator has not approved your mentee application yet. You can sign in once it is approved; MentorMeMed does not send an e-mail when that happens, so try again later or ask your school's program office."],
    declined: ["Your application was declined",
      "Your institution declined your mentee application. Ask your school's program office if you think this is a mistake."],
    // identity's detail says why (the expired requests, their dates) and whom to write to for reinstatement
    ejected: ["You were removed from the mentor program",
      error.detail ?? "You were removed from the program for leaving mentorship requests unanswered. A program operator can reinstate you: contact the MentorMeMed program."],
    exited: ["Your mentee account is closed",
      "Your institution marked you as having left or graduated. If you were invited to stay on as a mentor, open the link in that invitation."],
    deactivated: ["This account is deactivated",
      "This account can no longer sign in. Contact your institution's program office if you need access again."],
  };
  const [title, detail] = words[status] ?? ["You cannot sign in", error.detail ?? "This account is not active."];
  return new ProblemError(error.status, { ...error.body, title, detail }, error.requestId);
}

export default function SignIn() {
  const { status, signIn } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from ?? "/";
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<{ email?: string; password?: string }>({});
  const [problem, setProblem] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [agreement, setAgreement] = useState<Agreement | null>(null);
  const [accepted, setAccepted] = useState(false);

  if (status === "starting" && !busy) return <Loading />;
  if (status === "signed-in" && !busy) return <Navigate to={from} replace />;

  async function submit() {
    const found = validateSignIn(email, password);
    setErrors(found);
    if (found.email || found.password) return;
    if (agreement && !accepted) {
      setProblem(new ProblemError(422, { title: "Agreement not accepted", detail: "Read the agreement and tick the box to accept it." }));
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      await signIn(email.trim(), password, agreement && accepted ? agreement.version : undefined);
      navigate(from, { replace: true });
    } catch (error) {
      if (error instanceof ProblemError && error.code === "agreement-required") {
        const wanted = error.body.agreement as Agreement | undefined;
        if (wanted) {
          const current = await data(identity.GET("/api/v1/identity/agreements/{role}/current", { params: { path: { role: wanted.role } } }))
            .catch(() => null);
          setAgreement({ ...wanted, body: current?.body ?? undefined, title: current?.title ?? wanted.title });
        }
      } else if (error instanceof ProblemError && error.code === "account-not-active") {
        setProblem(accountNotActive(error));
      } else {
        setProblem(error);
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <Page title="Sign in" intro={<p>Mentors, mentees and institution staff sign in here.</p>}>
      <div className="narrow">
        <Form onSubmit={() => void submit()} error={problem} label="Sign in">
          <TextField label="E-mail address" type="email" autoComplete="username" inputMode="email" required
            value={email} onChange={setEmail} error={errors.email} />
          <TextField label="Password" type="password" autoComplete="current-password" required
            value={password} onChange={setPassword} error={errors.password} />
          {agreement ? (
            <section className="agreement" aria-labelledby="agreement-title">
              <h2 id="agreement-title">{agreement.title} (version {agreement.version})</h2>
              <p>The program's {agreement.role} agreement has changed. Read it and accept it to continue.</p>
              {agreement.body ? <div className="agreement-text" tabIndex={0}>{agreement.body}</div> : null}
              <Checkbox label={`I have read and accept the ${agreement.role} agreement, version ${agreement.version}`}
                checked={accepted} onChange={setAccepted} />
            </section>
          ) : null}
          <SubmitButton busy={busy} busyLabel="Signing in…">{agreement ? "Accept and sign in" : "Sign in"}</SubmitButton>
        </Form>
        <div className="aside">
          <p>Are you a student with an enrollment code from your school? <Link to="/register">Register as a mentee</Link>.</p>
          <p>Invited as a mentor or administrator? Open the link in your invitation e-mail.</p>
        </div>
      </div>
    </Page>
  );
}
