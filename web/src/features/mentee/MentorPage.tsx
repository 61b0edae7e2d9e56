// A mentor's public profile; a mentee asks for mentorship from here (message and goals). The POST carries
// one Idempotency-Key per form, so a double click or a retry after a lost answer makes ONE request.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { data, directory, mentorship } from "../../api/client";
import { ProblemError } from "../../api/problem";
import type { components } from "../../api/schema/directory";
import { useUser } from "../../auth/AuthProvider";
import { Form, SubmitButton, TextArea, serverFieldError } from "../../ui/form";
import { Badge, Facts, Page } from "../../ui/page";
import { ErrorNote, Loading, Notice } from "../../ui/status";
import {
  GOALS_MAX, GOAL_MAX, MESSAGE_MAX, newIdempotencyKey, parseGoals, refusalAdvice, validateRequest, type RequestErrors,
} from "./requestForm";
import {
  availabilityWords, backgroundName, rankName, responsivenessWords, scopeName, slotsWords,
} from "./words";

type Profile = components["schemas"]["PublicProfileOut"];

export default function MentorPage() {
  const { mentorId = "" } = useParams();
  const profile = useQuery({
    queryKey: ["directory", "mentor", mentorId],
    queryFn: () => data(directory.GET("/api/v1/directory/mentors/{mentor_id}", { params: { path: { mentor_id: mentorId } } })),
  });
  if (profile.isPending) return <Page title="Mentor"><Loading label="Loading the mentor's profile…" /></Page>;
  if (profile.isError) {
    const gone = profile.error instanceof ProblemError && profile.error.status === 404;
    return (
      <Page title="Mentor">
        {gone ? (
          <Notice tone="warn"><p>This mentor's profile is not in the directory: it may have been unpublished, or the mentor
            mentors only learners of their own institution.</p></Notice>
        ) : <ErrorNote error={profile.error} retry={() => void profile.refetch()} />}
        <p><Link to="/mentors">Back to the search</Link></p>
      </Page>
    );
  }
  return <MentorView profile={profile.data} />;
}

function MentorView({ profile: p }: { profile: Profile }) {
  const user = useUser();
  const [asking, setAsking] = useState(false);
  const slots = slotsWords(p.availability);
  const name = p.display_name ?? "This mentor";
  const noSlot = slots.tone === "bad";
  const interests = [
    ["Clinical interests", p.clinical_interests],
    ["Research interests", p.research_interests],
    ["Education interests", p.education_interests],
  ] as const;

  return (
    <Page title={name} intro={<>
      <p>{[rankName(p.academic_rank), (p.specialties ?? []).join(", ")].filter(Boolean).join(" · ")}
        {p.subspecialty ? ` (${p.subspecialty})` : ""}{p.pronouns ? ` · ${p.pronouns}` : ""}</p>
      <p className="row">
        <Badge tone={slots.tone}>{slots.label}</Badge>
        {p.scope === "local" ? <Badge tone="info">Local only: mentors learners of their own institution</Badge> : null}
      </p>
    </>}>
      <p><Link to="/mentors">Back to the search</Link></p>

      {user.role === "mentee" ? (
        <section className="card" aria-labelledby="ask-title">
          <h2 id="ask-title">Ask for mentorship</h2>
          {noSlot ? (
            <Notice tone="warn"><p>{name} has no open slot right now ({slots.label.toLowerCase()}), so a request would be
              refused. <Link to="/mentors?has_open_slot=true">Find mentors with an open slot</Link>.</p></Notice>
          ) : asking ? (
            <AskForm mentorId={p.id ?? ""} mentorName={name} onCancel={() => setAsking(false)} />
          ) : (
            <>
              <p>{name} answers by a deadline; you will see it in My requests. Once they accept, each of you sees the
                other's e-mail address.</p>
              <button type="button" className="button" onClick={() => setAsking(true)}>Ask for mentorship</button>
            </>
          )}
        </section>
      ) : null}

      <section className="card" aria-labelledby="about-title">
        <h2 id="about-title">About</h2>
        {p.bio ? <p className="prewrap">{p.bio}</p> : <p className="muted">No biography given.</p>}
        {p.career_highlights ? <><h3>Career highlights</h3><p className="prewrap">{p.career_highlights}</p></> : null}
        <Facts items={[
          ["Location", [p.city, p.state].filter(Boolean).join(", ") || "—"],
          ["Languages", (p.languages ?? []).join(", ") || "—"],
          ["Mentors", scopeName(p.scope)],
          ...interests.filter(([, v]) => v && v.length).map(([label, v]): [string, string] => [label, (v ?? []).join(", ")]),
          ...(p.shared_background?.length
            ? [["Shared background (shown by choice)", p.shared_background.map(backgroundName).join("; ")] as [string, string]]
            : []),
        ]} />
      </section>

      <section className="card" aria-labelledby="availability-title">
        <h2 id="availability-title">Availability and responsiveness</h2>
        <Facts items={[
          ["Open slots", slots.label],
          ["Availability", availabilityWords(p.availability)],
          ["Responsiveness", responsivenessWords(p.responsiveness)],
        ]} />
      </section>
    </Page>
  );
}

function AskForm({ mentorId, mentorName, onCancel }: { mentorId: string; mentorName: string; onCancel: () => void }) {
  const navigate = useNavigate();
  const queries = useQueryClient();
  const [key] = useState(newIdempotencyKey); // one per form: every submit of this form is the same request
  const sending = useRef(false);
  const [message, setMessage] = useState("");
  const [goals, setGoals] = useState("");
  const [errors, setErrors] = useState<RequestErrors>({});
  const ask = useMutation({
    mutationFn: () => data(mentorship.POST("/api/v1/mentorship/requests", {
      body: { mentor_id: mentorId, message: message.trim(), goals: parseGoals(goals) },
      params: { header: { "Idempotency-Key": key } },
    })),
    onSuccess: async () => {
      await queries.invalidateQueries({ queryKey: ["mentorship"] });
      navigate("/requests", { state: { sentTo: mentorName } });
    },
    onSettled: () => {
      sending.current = false;
    },
  });

  function submit() {
    if (sending.current) return; // a second click before the first re-render: the same request is running
    const found = validateRequest(message, goals);
    setErrors(found);
    if (found.message || found.goals) {
      requestAnimationFrame(() => document.querySelector<HTMLElement>("main [aria-invalid='true']")?.focus());
      return;
    }
    sending.current = true;
    ask.mutate();
  }

  const problem = ask.error instanceof ProblemError && ask.error.status !== 422
    ? new ProblemError(ask.error.status, { ...ask.error.body, title: "Your request was not sent" }, ask.error.requestId)
    : ask.error;
  const advice = problem instanceof ProblemError ? refusalAdvice(problem.code) : null;
  const count = parseGoals(goals).length;
  return (
    <Form onSubmit={submit} error={problem} label={`Ask ${mentorName} for mentorship`}>
      {advice ? (
        <p className="advice">{advice.text} {advice.link ? <Link to={advice.link.to}>{advice.link.label}</Link> : null}</p>
      ) : null}
      <TextArea label="Message" required value={message} onChange={setMessage} rows={6} maxLength={MESSAGE_MAX}
        hint={`Introduce yourself and say why you are asking ${mentorName}. Up to ${MESSAGE_MAX} characters.`}
        error={errors.message ?? serverFieldError(problem, "message")} />
      <TextArea label="Goals" required value={goals} onChange={setGoals} rows={4}
        hint={`What you hope to work on together: one goal per line, up to ${GOALS_MAX} goals of up to ${GOAL_MAX} characters each${count ? ` (${count} so far)` : ""}.`}
        error={errors.goals ?? serverFieldError(problem, "goals")} />
      <div className="actions">
        <SubmitButton busy={ask.isPending} busyLabel="Sending…">Send request</SubmitButton>
        <button type="button" className="button secondary" onClick={onCancel} disabled={ask.isPending}>Cancel</button>
      </div>
    </Form>
  );
}
