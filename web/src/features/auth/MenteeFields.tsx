// The parts of the mentee forms that registration, an invitation and "My account" share: the profile,
// the eligibility attestation (sensitive, said why and who sees it), the agreement, a new password.
import type { components } from "../../api/schema/identity";
import { Checkbox, Choices, Select, TextArea, TextField, serverFieldError } from "../../ui/form";
import {
  ELIGIBILITY, PASSWORD_MIN, RACE_ETHNICITY, TRAINING_STAGES, type Errors, type ProfileForm,
} from "./menteeForm";

type Agreement = components["schemas"]["AgreementOut"];

/** A field's error: the form's own check first, then what the service said about it. */
export function fieldError(errors: Errors, problem: unknown, name: string): string | undefined {
  return errors[name] ?? serverFieldError(problem, name);
}

export function PasswordFields({ password, confirm, onPassword, onConfirm, errors, problem }: {
  password: string;
  confirm: string;
  onPassword: (v: string) => void;
  onConfirm: (v: string) => void;
  errors: Errors;
  problem: unknown;
}) {
  return (
    <>
      <TextField label="Password" type="password" autoComplete="new-password" required value={password}
        onChange={onPassword} hint={`At least ${PASSWORD_MIN} characters. A few unrelated words make a strong one.`}
        error={fieldError(errors, problem, "password")} />
      <TextField label="Confirm password" type="password" autoComplete="new-password" required value={confirm}
        onChange={onConfirm} error={errors.confirm} />
    </>
  );
}

/** Contact and studies: the parts of the profile that are not sensitive demographics. */
export function ProfileBasics({ value, onChange, errors, problem }: {
  value: ProfileForm;
  onChange: (next: ProfileForm) => void;
  errors: Errors;
  problem: unknown;
}) {
  const set = <K extends keyof ProfileForm>(key: K) => (v: ProfileForm[K]) => onChange({ ...value, [key]: v });
  const err = (name: string) => fieldError(errors, problem, `profile/${name}`);
  return (
    <>
      <Select label="Where are you in your training?" value={value.trainingStage} onChange={set("trainingStage")}
        options={[{ value: "", label: "Choose…" }, ...TRAINING_STAGES]} error={err("demographics/training_stage")} />
      <TextField label="Expected graduation year" inputMode="numeric" value={value.expectedGraduationYear}
        onChange={set("expectedGraduationYear")} hint="For example 2028." error={err("demographics/expected_graduation_year")} />
      <TextField label="Pronouns" value={value.pronouns} onChange={set("pronouns")} maxLength={50}
        hint="Optional, for example she/her, he/him, they/them." error={err("demographics/pronouns")} />
      <TextField label="Preferred e-mail for the program" type="email" inputMode="email" autoComplete="email"
        value={value.preferredEmail} onChange={set("preferredEmail")}
        hint="Optional: if it differs from your sign-in e-mail." error={err("contact/preferred_email")} />
      <TextField label="Phone" type="tel" autoComplete="tel" value={value.phone} onChange={set("phone")} maxLength={50}
        hint="Optional." error={err("contact/phone")} />
      <TextArea label="Mailing address" value={value.mailingAddress} onChange={set("mailingAddress")} rows={3}
        maxLength={500} hint="Optional." error={err("contact/mailing_address")} />
    </>
  );
}

/** Demographics: sensitive (§6), all optional. */
export function Demographics({ value, onChange, errors, problem }: {
  value: ProfileForm;
  onChange: (next: ProfileForm) => void;
  errors: Errors;
  problem: unknown;
}) {
  const set = <K extends keyof ProfileForm>(key: K) => (v: ProfileForm[K]) => onChange({ ...value, [key]: v });
  const err = (name: string) => fieldError(errors, problem, `profile/demographics/${name}`);
  return (
    <>
      <Choices legend="Race and ethnicity (optional, choose any)" options={RACE_ETHNICITY.map((r) => ({ value: r, label: r }))}
        selected={value.raceEthnicity} onChange={set("raceEthnicity")} error={err("race_ethnicity")} />
      <TextField label="Race or ethnicity in your own words (optional)" value={value.raceOther} onChange={set("raceOther")}
        hint="Separate several with commas." />
      <TextField label="Gender identity (optional)" value={value.genderIdentity} onChange={set("genderIdentity")}
        maxLength={100} error={err("gender_identity")} />
      <TextField label="Birth year (optional)" inputMode="numeric" value={value.birthYear} onChange={set("birthYear")}
        error={err("birth_year")} />
    </>
  );
}

/** Who sees the non-sensitive part of the profile (the mentee card mentorship shows a mentor who is asked). */
export const ABOUT_YOU = "Your institution's administrators and the program's operators can read these. A mentor you ask "
  + "sees your name, school, training stage and expected graduation year, to decide; your e-mail address only once "
  + "they accept.";

/** Why the program asks, who sees it — said before the questions. */
export function SensitiveExplanation() {
  return (
    <>
      <p>
        <strong>Why we ask:</strong> MentorMeMed exists for learners from groups underrepresented in medicine,
        first-generation college graduates and learners from economically disadvantaged backgrounds. To join, you
        attest that at least one of these describes you, and your institution approves your application.
      </p>
      <p>
        <strong>Who sees it:</strong> only the program's identity records keep it. Your institution's administrators
        (who approve your application) and the program's operators can read it, and every read is logged with who
        read it and why. It is never shown to mentors, never appears in mentor search, and is never sent to the
        program's other services or in any report that names you.
      </p>
    </>
  );
}

export function EligibilityFields({ eligibility, attested, onEligibility, onAttested, errors, problem }: {
  eligibility: string[];
  attested: boolean;
  onEligibility: (v: string[]) => void;
  onAttested: (v: boolean) => void;
  errors: Errors;
  problem: unknown;
}) {
  return (
    <>
      <Choices legend="Which of these describe you? (choose at least one)" options={ELIGIBILITY} selected={eligibility}
        onChange={onEligibility} error={fieldError(errors, problem, "eligibility")} />
      <Checkbox label="I attest that what I chose above is true." checked={attested} onChange={onAttested}
        error={fieldError(errors, problem, "attested")} />
    </>
  );
}

/** The role's agreement to read and accept (R5): accepting sends its version. */
export function AgreementAccept({ agreement, accepted, onAccepted, errors, problem }: {
  agreement: Agreement;
  accepted: boolean;
  onAccepted: (v: boolean) => void;
  errors: Errors;
  problem: unknown;
}) {
  return (
    <section className="agreement" aria-labelledby="agreement-title">
      <h2 id="agreement-title">{agreement.title} (version {agreement.version})</h2>
      <p>Read the agreement; accepting it is recorded with the date and its version.</p>
      {agreement.body ? (
        <div className="agreement-text" tabIndex={0} role="region" aria-label={`${agreement.title}, full text`}>{agreement.body}</div>
      ) : null}
      <Checkbox label={`I have read and accept the ${agreement.title}, version ${agreement.version}.`} checked={accepted}
        onChange={onAccepted} error={fieldError(errors, problem, "accept_agreement_version")} />
    </section>
  );
}

/** After a refused submit, move the focus to the first field marked invalid (keyboard and screen reader
 * users land where the work is). */
export function focusFirstError(): void {
  requestAnimationFrame(() => {
    const first = document.querySelector<HTMLElement>("main [aria-invalid='true'], main .field-invalid input");
    first?.focus();
  });
}
