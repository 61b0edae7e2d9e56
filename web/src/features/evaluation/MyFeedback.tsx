// My feedback (a mentor's, R13): how many evaluations mentees submitted; under 3 the reason the summary
// is withheld and no figure at all; otherwise the averages in words ("4.3 of 5"), the share who would
// recommend me and the comments mentees shared, without names. Beside it, my participation report (R15)
// as PDF for a promotion or FTE dossier, over a period I choose.
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { data, download, evaluation } from "../../api/client";
import { Form, SubmitButton } from "../../ui/form";
import { Badge, Page, Section } from "../../ui/page";
import { Notice, QueryView } from "../../ui/status";
import { PeriodPicker } from "../reports/PeriodPicker";
import { lastTwelveMonths, periodQuery, validatePeriod, type Period, type PeriodErrors } from "../reports/period";
import { EVALUATION_MINIMUM, evaluationsCount, hasErrors, ratingWords, recommendWords, withheldSentence, type Feedback } from "./evaluation";

const AVERAGES: { key: "availability" | "responsiveness" | "guidance" | "overall"; label: string }[] = [
  { key: "availability", label: "Availability" },
  { key: "responsiveness", label: "Responsiveness" },
  { key: "guidance", label: "Quality of guidance" },
  { key: "overall", label: "Overall" },
];

export default function MyFeedback() {
  const feedback = useQuery({
    queryKey: ["evaluation", "feedback", "me"],
    queryFn: () => data(evaluation.GET("/api/v1/evaluation/mentors/me/feedback")),
  });
  return (
    <Page title="My feedback" intro={<p>What your mentees said in their evaluations, summed up. You never see who said
      what: averages and comments appear only once at least {EVALUATION_MINIMUM} evaluations have been submitted.</p>}>
      <Section title="Evaluations by your mentees">
        <QueryView query={feedback} loading="Loading your feedback…">
          {(f) => <Summary feedback={f} />}
        </QueryView>
      </Section>
      <ParticipationPdf />
    </Page>
  );
}

function Summary({ feedback: f }: { feedback: Feedback }) {
  const count = f.count ?? 0;
  const minimum = f.minimum ?? EVALUATION_MINIMUM;
  if (count === 0) {
    return <p>No evaluations yet. Mentees evaluate you every 6 months of a mentorship and when it ends.</p>;
  }
  if (f.withheld || !f.averages) {
    return (
      <>
        <p><strong>{evaluationsCount(count)}</strong></p>
        <p><Badge tone="neutral">Withheld</Badge> {withheldSentence(count, minimum)}</p>
      </>
    );
  }
  const averages = f.averages;
  const comments = f.shared_texts ?? [];
  return (
    <>
      <p><strong>{evaluationsCount(count)}</strong></p>
      <div className="stats">
        {AVERAGES.map((a) => (
          <div className="stat" key={a.key}><span>{a.label}</span><strong>{ratingWords(averages[a.key])}</strong></div>
        ))}
        <div className="stat"><span>Would recommend you</span><strong>{recommendWords(f.would_recommend_share)}</strong></div>
      </div>
      <h3 className="subheading">Comments mentees shared with you</h3>
      {comments.length === 0 ? <p className="muted">No mentee has left a comment for you.</p> : (
        <>
          <p className="muted small">In alphabetical order, without names or dates.</p>
          <ul className="comments">
            {comments.map((c, i) => <li key={i}><blockquote className="prewrap">{c}</blockquote></li>)}
          </ul>
        </>
      )}
    </>
  );
}

function ParticipationPdf() {
  const [period, setPeriod] = useState<Period>(() => lastTwelveMonths());
  const [errors, setErrors] = useState<PeriodErrors>({});
  const [done, setDone] = useState(false);
  const save = useMutation({
    mutationFn: (p: Period) => {
      const q = periodQuery(p);
      return download(`/api/v1/evaluation/mentors/me/participation.pdf?${new URLSearchParams(q)}`, `my-participation-${p.from}-${p.to}.pdf`);
    },
    onSuccess: () => setDone(true),
  });
  return (
    <Section title="My participation report (PDF)">
      <p>Your mentoring over a period — mentorships, mentee-months, requests answered, evaluations (averages only from
        {" "}{EVALUATION_MINIMUM} on), training and CME hours — as a PDF for a promotion or FTE dossier.</p>
      {done ? <Notice tone="good">Your participation report was downloaded.</Notice> : null}
      <Form label="My participation report" error={save.error} onSubmit={() => {
        const found = validatePeriod(period);
        setErrors(found);
        setDone(false);
        if (hasErrors(found)) return;
        save.mutate(period);
      }}>
        <PeriodPicker value={period} onChange={setPeriod} errors={errors} />
        <SubmitButton busy={save.isPending} busyLabel="Preparing the PDF…">Download my participation report (PDF)</SubmitButton>
      </Form>
    </Section>
  );
}
