// The mentor's directory profile (/profile): the fields mentees search and read, availability, local or
// national scope (R8), and publication — which is consent to be searched (R9), stated before the box.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { data, directory } from "../../api/client";
import { ProblemError } from "../../api/problem";
import type { components } from "../../api/schema/directory";
import { Checkbox, Choices, Form, Select, SubmitButton, TextArea, TextField, serverFieldError } from "../../ui/form";
import { formatDate } from "../../ui/format";
import { Badge, Page, Section } from "../../ui/page";
import { ErrorNote, Notice, QueryView } from "../../ui/status";
import {
  DAYS, DAY_NAMES, LIMITS, hasErrors, splitList, validateProfile,
  type ProfileErrors, type ProfileForm, type TimeWindowRow,
} from "./validation";

type Profile = components["schemas"]["OwnProfileOut"];
type ProfileUpdate = components["schemas"]["ProfileUpdate"];
type Rank = NonNullable<ProfileUpdate["academic_rank"]>;
type UsState = NonNullable<ProfileUpdate["state"]>;
type Specialty = NonNullable<ProfileUpdate["specialties"]>[number];
type Mode = NonNullable<ProfileUpdate["meeting_modes"]>[number];
type Day = NonNullable<ProfileUpdate["time_windows"]>[number]["day"];
type Scope = NonNullable<ProfileUpdate["scope"]>;

const RANKS: { value: Rank; label: string }[] = [
  { value: "instructor", label: "Instructor" },
  { value: "assistant_professor", label: "Assistant professor" },
  { value: "associate_professor", label: "Associate professor" },
  { value: "professor", label: "Professor" },
  { value: "clinical_faculty", label: "Clinical faculty" },
  { value: "resident", label: "Resident" },
  { value: "fellow", label: "Fellow" },
  { value: "emeritus", label: "Emeritus" },
  { value: "other", label: "Other" },
];
const STATES: UsState[] = [
  "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY",
  "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH",
  "OK", "OR", "PA", "PR", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
];
const MODES: { value: Mode; label: string }[] = [
  { value: "video", label: "Video call" }, { value: "phone", label: "Phone" }, { value: "in_person", label: "In person" },
];
const SCOPES: { value: Scope; label: string }[] = [
  { value: "national", label: "National — mentees of every institution in the program can find and ask me" },
  { value: "local", label: "Local — only mentees of my own institution can find and ask me" },
];
const TIMEZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
  "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico"];
const FIELD_NAMES: Record<string, string> = {
  display_name: "display name", academic_rank: "academic rank", specialties: "specialties", languages: "languages",
  city: "city", state: "state", bio: "about me", scope: "whom you mentor", hours_per_month: "hours per month",
  meeting_modes: "meeting modes", time_windows: "time windows", timezone: "time zone",
};
const DAYS_TYPED: Day[] = [...DAYS];

/** The value among `options` equal to `value` (a typed value from a form's string), if any. */
function pick<T extends string>(options: readonly T[], value: string): T | undefined {
  return options.find((o) => o === value);
}

function formOf(p: Profile): ProfileForm {
  return {
    display_name: p.display_name ?? "",
    academic_rank: p.academic_rank ?? "",
    specialties: p.specialties ?? [],
    languages: (p.languages ?? []).join(", "),
    city: p.city ?? "",
    state: p.state ?? "",
    bio: p.bio ?? "",
    scope: p.scope ?? "",
    accepting_new_mentees: p.accepting_new_mentees ?? true,
    hours_per_month: p.hours_per_month === null || p.hours_per_month === undefined ? "" : String(p.hours_per_month),
    meeting_modes: p.meeting_modes ?? [],
    time_windows: (p.time_windows ?? []).map((w) => ({ day: w.day ?? "mon", start: w.start ?? "", end: w.end ?? "" })),
    timezone: p.timezone ?? "",
  };
}

function updateOf(form: ProfileForm, specialties: string[]): ProfileUpdate {
  const known = (s: string): s is Specialty => specialties.includes(s);
  const hours = form.hours_per_month.trim();
  const body: ProfileUpdate = {
    display_name: form.display_name.trim(),
    academic_rank: pick(RANKS.map((r) => r.value), form.academic_rank) ?? null,
    specialties: form.specialties.filter(known),
    languages: splitList(form.languages),
    city: form.city.trim() || null,
    state: pick(STATES, form.state) ?? null,
    bio: form.bio.trim() || null,
    accepting_new_mentees: form.accepting_new_mentees,
    hours_per_month: hours ? Number(hours) : null,
    meeting_modes: form.meeting_modes.map((m) => pick(MODES.map((o) => o.value), m)).filter((m): m is Mode => Boolean(m)),
    time_windows: form.time_windows.flatMap((w) => {
      const day = pick(DAYS_TYPED, w.day);
      return day ? [{ day, start: w.start, end: w.end }] : [];
    }),
    timezone: form.timezone || null,
  };
  const scope = pick(SCOPES.map((s) => s.value), form.scope);
  if (scope) body.scope = scope;
  return body;
}

export default function ProfileEditor() {
  const profile = useQuery({
    queryKey: ["directory", "me", "profile"],
    queryFn: () => data(directory.GET("/api/v1/directory/me/profile")),
  });
  const specialties = useQuery({
    queryKey: ["directory", "specialties"],
    queryFn: () => data(directory.GET("/api/v1/directory/specialties")),
    staleTime: Infinity,
  });
  return (
    <Page title="My profile" intro={<p>What mentees see when they search for a mentor. Mentees value availability and
      quick answers most: keep your availability current.</p>}>
      <QueryView query={profile} loading="Loading your profile…">
        {(p) => (
          <QueryView query={specialties} loading="Loading the specialties…">
            {(list) => <Editor key={p.id} profile={p} specialties={list.specialties ?? []} />}
          </QueryView>
        )}
      </QueryView>
    </Page>
  );
}

function Editor({ profile, specialties }: { profile: Profile; specialties: string[] }) {
  const queryClient = useQueryClient();
  const [form, setForm] = useState<ProfileForm>(() => formOf(profile));
  const [saved, setSaved] = useState<ProfileForm>(() => formOf(profile));
  const [errors, setErrors] = useState<ProfileErrors>({});
  const [notice, setNotice] = useState<string | null>(null);
  const dirty = JSON.stringify(form) !== JSON.stringify(saved);

  const set = <K extends keyof ProfileForm>(key: K) => (value: ProfileForm[K]) => setForm((f) => ({ ...f, [key]: value }));

  function accept(next: Profile, text: string) {
    queryClient.setQueryData(["directory", "me", "profile"], next);
    setForm(formOf(next));
    setSaved(formOf(next));
    setNotice(text);
  }

  const save = useMutation({
    mutationFn: () => data(directory.PATCH("/api/v1/directory/me/profile", { body: updateOf(form, specialties) })),
    onSuccess: (next) => accept(next, "Your profile is saved."),
    onError: () => setNotice(null),
  });

  function submit() {
    const found = validateProfile(form);
    setErrors(found);
    setNotice(null);
    if (hasErrors(found)) return;
    save.mutate();
  }

  const windowRows = form.time_windows;
  const setWindow = (i: number, patch: Partial<TimeWindowRow>) =>
    set("time_windows")(windowRows.map((w, j) => (j === i ? { ...w, ...patch } : w)));
  const timezones = [...new Set([...TIMEZONES, browserZone(), form.timezone].filter(Boolean))];
  const problem = save.error;
  const fieldError = (name: keyof ProfileForm) => errors[name] ?? serverFieldError(problem, name);

  return (
    <>
      {notice ? <Notice tone="good">{notice}</Notice> : null}
      <Publication profile={profile} dirty={dirty} saveFirst={async () => {
        const found = validateProfile(form);
        setErrors(found);
        if (hasErrors(found)) throw new ProblemError(422, { title: "Check your profile", detail: "Correct the fields marked below first." });
        return save.mutateAsync();
      }} onChange={accept} />
      <Section title="Profile">
        <Form onSubmit={submit} error={problem} label="My profile">
          {hasErrors(errors) ? <p className="field-error" role="alert">Some fields need attention: see the messages below.</p> : null}
          <TextField label="Display name" required value={form.display_name} onChange={set("display_name")}
            maxLength={LIMITS.displayName} hint="As mentees will see it, with your title, e.g. Dr. Jane Doe." error={fieldError("display_name")} />
          <Select label="Academic rank" value={form.academic_rank} onChange={set("academic_rank")} error={fieldError("academic_rank")}
            options={[{ value: "", label: "Choose your rank" }, ...RANKS]} />
          <div className="specialty-choices">
            <Choices legend={`Specialties (at most ${LIMITS.specialties})`} options={specialties.map((s) => ({ value: s, label: s }))}
              selected={form.specialties} onChange={set("specialties")} error={fieldError("specialties")} />
          </div>
          <TextField label="Languages" value={form.languages} onChange={set("languages")}
            hint="The languages you can mentor in, separated by commas, e.g. English, Spanish." error={fieldError("languages")} />
          <div className="two-fields">
            <TextField label="City" value={form.city} onChange={set("city")} maxLength={LIMITS.city} error={fieldError("city")} />
            <Select label="State" value={form.state} onChange={set("state")} error={fieldError("state")}
              options={[{ value: "", label: "Choose a state" }, ...STATES.map((s) => ({ value: s, label: s }))]} />
          </div>
          <TextArea label="About me" value={form.bio} onChange={set("bio")} rows={6} maxLength={LIMITS.bio}
            hint={`Your path, what you enjoy helping with, how you like to mentor (${form.bio.length} of ${LIMITS.bio} characters).`}
            error={fieldError("bio")} />
          <Choices legend="Whom you mentor" multiple={false} options={SCOPES}
            hint="National: any mentee of the program may ask you. Local: only mentees of your own institution find you in search and may ask you."
            selected={form.scope ? [form.scope] : []} onChange={(v) => set("scope")(v[0] ?? "")} error={fieldError("scope")} />

          <h3>Availability</h3>
          <Checkbox label="I am accepting new mentees" checked={form.accepting_new_mentees} onChange={set("accepting_new_mentees")}
            hint="When unticked, search shows you with no open places." />
          <TextField label="Hours per month" type="number" inputMode="numeric" min={LIMITS.hoursMin} max={LIMITS.hoursMax}
            value={form.hours_per_month} onChange={set("hours_per_month")}
            hint={`The time you can give mentees each month, ${LIMITS.hoursMin} to ${LIMITS.hoursMax} hours.`} error={fieldError("hours_per_month")} />
          <Choices legend="Meeting modes" options={MODES} selected={form.meeting_modes} onChange={set("meeting_modes")}
            error={fieldError("meeting_modes")} />
          <fieldset className="choices">
            <legend>Time windows</legend>
            <p className="hint">When in the week you are usually free to meet, in your time zone.</p>
            {windowRows.length === 0 ? <p className="muted">No time windows yet.</p> : null}
            {windowRows.map((w, i) => (
              <fieldset className="time-window" key={i}>
                <legend>Time window {i + 1}</legend>
                <div className="time-window-fields">
                  <Select label="Day" value={w.day} onChange={(day) => setWindow(i, { day })}
                    options={DAYS.map((d) => ({ value: d, label: DAY_NAMES[d] }))} />
                  <TextField label="From" type="time" value={w.start} onChange={(start) => setWindow(i, { start })} />
                  <TextField label="To" type="time" value={w.end} onChange={(end) => setWindow(i, { end })} />
                </div>
                {errors.windows?.[i] ? <p className="field-error">{errors.windows[i]}</p> : null}
                <button type="button" className="button secondary small"
                  onClick={() => set("time_windows")(windowRows.filter((_, j) => j !== i))}>
                  Remove time window {i + 1}
                </button>
              </fieldset>
            ))}
            {errors.time_windows ? <p className="field-error">{errors.time_windows}</p> : null}
            {windowRows.length < LIMITS.timeWindows ? (
              <button type="button" className="button secondary small"
                onClick={() => set("time_windows")([...windowRows, { day: "mon", start: "18:00", end: "19:00" }])}>
                Add a time window
              </button>
            ) : null}
          </fieldset>
          <Select label="Time zone" value={form.timezone} onChange={set("timezone")} error={fieldError("timezone")}
            options={[{ value: "", label: "Choose your time zone" }, ...timezones.map((z) => ({ value: z, label: z.replace(/_/g, " ") }))]} />
          <div className="actions">
            <SubmitButton busy={save.isPending} busyLabel="Saving…">Save profile</SubmitButton>
            {dirty ? <span className="muted">You have unsaved changes.</span> : null}
          </div>
        </Form>
      </Section>
    </>
  );
}

function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone ?? "";
  } catch {
    return "";
  }
}

/** Publication: its state in words, what it still needs, the consent, publish and unpublish. */
function Publication({ profile, dirty, saveFirst, onChange }: {
  profile: Profile;
  dirty: boolean;
  saveFirst: () => Promise<Profile>;
  onChange: (next: Profile, text: string) => void;
}) {
  const [consent, setConsent] = useState(false);
  const [consentError, setConsentError] = useState<string | undefined>();
  const publish = useMutation({
    mutationFn: async () => {
      if (dirty) await saveFirst();
      return data(directory.POST("/api/v1/directory/me/profile/publish", { body: { consent_to_search: true } }));
    },
    onSuccess: (next) => {
      setConsent(false);
      onChange(next, "Your profile is published: mentees can now find you in search.");
    },
  });
  const unpublish = useMutation({
    mutationFn: () => data(directory.POST("/api/v1/directory/me/profile/unpublish")),
    onSuccess: (next) => onChange(next, "Your profile is unpublished: mentees no longer find you in search."),
  });
  const missing = profile.missing_fields ?? [];
  const where = profile.scope === "local" ? "mentees of your institution" : "mentees of every institution in the program";
  const refusal = publish.error instanceof ProblemError ? publish.error.code : null;

  return (
    <Section title="Publication" actions={profile.published ? <Badge tone="good">Published</Badge> : <Badge>Not published</Badge>}>
      {profile.published ? (
        <>
          <p>Your profile is published{profile.published_at ? ` since ${formatDate(profile.published_at)}` : ""}: {where} can
            find you in search and ask you to mentor them.</p>
          <p className="muted">Unpublishing removes you from search at once. Your open requests and mentorships go on.</p>
          <ErrorNote error={unpublish.error} />
          <button type="button" className="button secondary" disabled={unpublish.isPending} aria-busy={unpublish.isPending || undefined}
            onClick={() => unpublish.mutate()}>
            {unpublish.isPending ? "Unpublishing…" : "Unpublish profile"}
          </button>
        </>
      ) : (
        <>
          <p>Your profile is not published: mentees cannot find you in search or ask you to mentor them.</p>
          {!profile.trained ? (
            <Notice tone="warn">You have not completed the mentor training yet. Complete it before publishing:
              {" "}<Link to="/training">go to Training</Link>.</Notice>
          ) : null}
          {missing.length ? (
            <p><strong>Still needed before publishing:</strong> {missing.map((f) => FIELD_NAMES[f] ?? f.replace(/_/g, " ")).join(", ")}.</p>
          ) : null}
          <Form onSubmit={() => {
            if (!consent) {
              setConsentError("Tick the box to give your consent, or leave your profile unpublished.");
              return;
            }
            setConsentError(undefined);
            publish.mutate();
          }} error={refusal === "training-incomplete" ? null : publish.error} label="Publish my profile">
            {refusal === "training-incomplete" ? (
              <div className="error-note" role="alert">
                <p className="error-title">Not published: your training is not complete</p>
                <p>Mentors complete and attest the required training before mentoring.{" "}
                  <Link to="/training">Complete your training</Link>, then publish.</p>
              </div>
            ) : null}
            <div className="consent">
              <h3>What publishing means</h3>
              <p>Publishing your profile is your consent to be searched. Your profile — name, rank, specialties,
                languages, city and state, and what you wrote about yourself — appears in the search results of
                mentees: of every institution in the program if you mentor nationally, or only of your own
                institution if you mentor locally. Beside it, mentees see your availability (whether you accept
                new mentees, your open places, hours per month, meeting modes and time windows) and your
                responsiveness (how often and how quickly you answer requests).</p>
              <p>You can unpublish at any time.</p>
            </div>
            <Checkbox label="I consent to mentees finding my profile in search, as described above" checked={consent}
              onChange={setConsent} error={consentError} />
            {dirty ? <p className="muted">Your unsaved changes are saved first.</p> : null}
            <SubmitButton busy={publish.isPending} busyLabel="Publishing…">Publish profile</SubmitButton>
          </Form>
        </>
      )}
    </Section>
  );
}
