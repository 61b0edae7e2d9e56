// My training (R6): my track's modules in order with my progress, and how far my required training is.
// Mentorship begins only once every required module is attested.
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { data, training } from "../../api/client";
import { useUser } from "../../auth/AuthProvider";
import { formatDate } from "../../ui/format";
import { Badge, Page } from "../../ui/page";
import { Notice, QueryView } from "../../ui/status";
import { hours, minutes, progressWords, retryNotEnrolled } from "./training";

export default function Training() {
  const user = useUser();
  const mentor = user.role === "mentor";
  const status = useQuery({
    queryKey: ["training", "me"],
    queryFn: () => data(training.GET("/api/v1/training/me/training")),
    retry: retryNotEnrolled,
    retryDelay: 1000,
  });
  const modules = useQuery({
    queryKey: ["training", "modules"],
    queryFn: () => data(training.GET("/api/v1/training/modules")),
    retry: retryNotEnrolled,
    retryDelay: 1000,
  });

  return (
    <Page title="Training" actions={mentor ? <Link className="button secondary" to="/training/cme">My CME certificates</Link> : null}
      intro={<p>{mentor
        ? "Complete and attest each required module before you mentor. Mentor modules carry CME credit."
        : "Complete and attest each required module before you ask a mentor for mentorship."}</p>}>
      <QueryView query={status} loading="Loading your progress…">
        {(s) => (
          s.completed ? (
            <Notice tone="good">
              <p><strong>Your required training is complete</strong>{s.completed_at ? ` (since ${formatDate(s.completed_at)})` : ""}.
                {mentor ? " Mentees can find you once your profile is published." : " You can now ask mentors for mentorship."}</p>
            </Notice>
          ) : (
            <Notice tone="warn">
              <p><strong>{s.required_attested ?? 0} of {s.required_total ?? 0} required modules completed.</strong>{" "}
                {mentor ? "Mentees cannot find you in search until all are done." : "You can ask for mentorship once all are done."}</p>
            </Notice>
          )
        )}
      </QueryView>
      <section aria-labelledby="modules-title">
        <h2 id="modules-title">Modules</h2>
        <QueryView query={modules} isEmpty={(m) => m.length === 0} loading="Loading the modules…"
          empty="No training modules are published for your track yet.">
          {(list) => (
            <ol className="cards">
              {list.map((m) => {
                const words = progressWords(m.progress, Boolean(m.has_knowledge_check));
                return (
                  <li key={m.id} className="result">
                    <h3><Link to={`/training/modules/${m.id}`}>{m.title}</Link></h3>
                    <p>{m.summary}</p>
                    <p className="row">
                      <Badge tone={words.tone}>{words.label}</Badge>
                      <Badge tone={m.required ? "info" : "neutral"}>{m.required ? "Required" : "Optional"}</Badge>
                    </p>
                    <p className="muted small">
                      {[minutes(m.estimated_minutes), m.has_knowledge_check ? "with a knowledge check" : "",
                        mentor ? hours(m.cme_credit_hours) : "",
                        m.progress?.attested_at ? `completed ${formatDate(m.progress.attested_at)}` : ""]
                        .filter(Boolean).join(" · ")}
                    </p>
                  </li>
                );
              })}
            </ol>
          )}
        </QueryView>
      </section>
    </Page>
  );
}
