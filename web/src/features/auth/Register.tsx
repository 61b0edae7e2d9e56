// A student registers with their school's enrollment code: account, profile, the eligibility attestation
// (sensitive: why it is asked and who sees it), the mentee agreement. identity keeps the application
// pending until the institution's administrator approves it; signing in before that is refused.
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { data, identity } from "../../api/client";
import { ProblemError } from "../../api/problem";
import type { components } from "../../api/schema/identity";
import { Form, SubmitButton, TextField } from "../../ui/form";
import { Page } from "../../ui/page";
import { ErrorNote, Loading, Notice } from "../../ui/status";
import {
  ABOUT_YOU, AgreementAccept, Demographics, EligibilityFields, PasswordFields, ProfileBasics, SensitiveExplanation, fieldError, focusFirstError,
} from "./MenteeFields";
import {
  emptyProfile, hasErrors, toProfileIn, validateRegistration, type Eligibility, type Errors, type RegistrationForm,
} from "./menteeForm";

type UserOut = components["schemas"]["UserOut"];

export default function Register() {
  const agreement = useQuery({
    queryKey: ["agreement", "mentee", "current"],
    // No mentee agreement in force (404): there is nothing to accept, and registration goes on without one.
    queryFn: () => data(identity.GET("/api/v1/identity/agreements/{role}/current", { params: { path: { role: "mentee" } } }))
      .catch((e: unknown) => {
        if (e instanceof ProblemError && e.status === 404) return null;
        throw e;
      }),
    retry: false,
  });
  const [form, setForm] = useState<RegistrationForm>({
    enrollmentCode: "", name: "", email: "", password: "", confirm: "", profile: emptyProfile(),
    eligibility: [], attested: false, agreementAccepted: false,
  });
  const [errors, setErrors] = useState<Errors>({});
  const set = <K extends keyof RegistrationForm>(key: K) => (value: RegistrationForm[K]) => setForm((f) => ({ ...f, [key]: value }));

  const register = useMutation({
    mutationFn: () => data(identity.POST("/api/v1/identity/mentees/registrations", {
      body: {
        enrollment_code: form.enrollmentCode.trim(),
        name: form.name.trim(),
        email: form.email.trim(),
        password: form.password,
        profile: toProfileIn(form.profile),
        eligibility: form.eligibility as Eligibility[],
        attested: form.attested,
        accept_agreement_version: agreement.data ? agreement.data.version ?? null : null,
      },
    })),
  });

  if (register.isSuccess) return <Registered user={register.data} />;

  function submit() {
    const found = validateRegistration(form, Boolean(agreement.data));
    setErrors(found);
    if (hasErrors(found)) {
      focusFirstError();
      return;
    }
    register.mutate();
  }

  const problem = register.error;
  return (
    <Page title="Register as a mentee"
      intro={<p>For students sponsored by a subscribing medical school. Your school gives you its enrollment code.
        Already registered? <Link to="/signin">Sign in</Link>.</p>}>
      <Form onSubmit={submit} error={problem} label="Register as a mentee">
        {hasErrors(errors) ? (
          <div className="error-note" role="alert">
            <p className="error-title">Some answers need your attention</p>
            <p>Each one is marked below.</p>
          </div>
        ) : null}
        <section className="card" aria-labelledby="reg-account">
          <h2 id="reg-account">Your account</h2>
          <TextField label="Enrollment code" required value={form.enrollmentCode} onChange={set("enrollmentCode")}
            autoComplete="off" maxLength={40} hint="From your school's program office."
            error={fieldError(errors, problem, "enrollment_code")} />
          <TextField label="Full name" required value={form.name} onChange={set("name")} autoComplete="name"
            maxLength={200} error={fieldError(errors, problem, "name")} />
          <TextField label="E-mail address" type="email" inputMode="email" autoComplete="email" required
            value={form.email} onChange={set("email")} hint="You sign in with it."
            error={fieldError(errors, problem, "email")} />
          <PasswordFields password={form.password} confirm={form.confirm} onPassword={set("password")}
            onConfirm={set("confirm")} errors={errors} problem={problem} />
        </section>

        <section className="card" aria-labelledby="reg-profile">
          <h2 id="reg-profile">About you</h2>
          <p className="muted">{ABOUT_YOU}</p>
          <ProfileBasics value={form.profile} onChange={set("profile")} errors={errors} problem={problem} />
        </section>

        <section className="card sensitive" aria-labelledby="reg-sensitive">
          <h2 id="reg-sensitive">Eligibility and background (sensitive)</h2>
          <SensitiveExplanation />
          <EligibilityFields eligibility={form.eligibility} attested={form.attested} onEligibility={set("eligibility")}
            onAttested={set("attested")} errors={errors} problem={problem} />
          <Demographics value={form.profile} onChange={set("profile")} errors={errors} problem={problem} />
        </section>

        {agreement.isPending ? <Loading label="Loading the mentee agreement…" /> : null}
        {agreement.isError ? <ErrorNote error={agreement.error} retry={() => void agreement.refetch()} /> : null}
        {agreement.data ? (
          <AgreementAccept agreement={agreement.data} accepted={form.agreementAccepted} onAccepted={set("agreementAccepted")}
            errors={errors} problem={problem} />
        ) : null}

        <SubmitButton busy={register.isPending} busyLabel="Sending your application…" disabled={agreement.isPending}>
          Register
        </SubmitButton>
      </Form>
    </Page>
  );
}

/** What happens next, as identity does it: the application waits for the institution's approval. */
function Registered({ user }: { user: UserOut }) {
  return (
    <Page title="Register as a mentee">
      <Notice tone="good">
        <p><strong>Application received.</strong> Thank you, {user.name}.</p>
      </Notice>
      <section className="card" aria-labelledby="next-steps">
        <h2 id="next-steps">What happens next</h2>
        <p>
          Your institution's program administrator reviews your application and approves it. Until then you cannot
          sign in: signing in says that your application is still waiting for approval.
        </p>
        <p>
          MentorMeMed does not send an e-mail when your application is approved. Try signing in later, or ask your
          school's program office if it takes more than a few days.
        </p>
        <p>Once approved, you complete the short mentee training, then you can find a mentor and ask for mentorship.</p>
        <p><Link to="/signin">Go to sign in</Link></p>
      </section>
    </Page>
  );
}
