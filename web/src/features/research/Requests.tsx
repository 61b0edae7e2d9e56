// Research data (R16): my data requests with their status and the decision's reason, and a form to ask
// for de-identified data (title, purpose, IRB status and number, datasets of the catalogue, period).
// Operators see every request, filtered by status, and the research audit log.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState, type ReactNode } from "react";
import { Link, useNavigate } from "react-router";
import { data, evaluation } from "../../api/client";
import { useAuth } from "../../auth/AuthProvider";
import { Form, Select, SubmitButton, TextArea, TextField, serverFieldError } from "../../ui/form";
import { formatDate, formatDateTime, roleName } from "../../ui/format";
import { Badge, Page, Section } from "../../ui/page";
import { QueryView } from "../../ui/status";
import { hasErrors } from "../evaluation/evaluation";
import {
  EMPTY_REQUEST, IRB_STATUSES, LIMITS, datasetTitle, irbNumberRequired, requestBodyOf, requestStatusWords, validateRequest,
  type DataRequest, type Dataset, type RequestErrors, type RequestForm,
} from "./research";

type StatusFilter = "" | "submitted" | "approved" | "denied";

export default function Requests() {
  const { role } = useAuth();
  const operator = role === "operator";
  const [status, setStatus] = useState<StatusFilter>(operator ? "submitted" : "");
  const list = useQuery({
    queryKey: ["evaluation", "data-requests", status],
    queryFn: () => data(evaluation.GET("/api/v1/evaluation/data-requests", {
      params: { query: { limit: 200, ...(status ? { status } : {}) } },
    })),
  });
  return (
    <Page title="Research data"
      intro={<p>Researchers may ask for de-identified data of the program: no names, e-mails or ids, dates to the month,
        and small counts suppressed. An operator approves or denies each request with a reason.</p>}
      actions={operator ? <Link className="button secondary" to="/research/audit">Research audit log</Link> : undefined}>
      <Section title={operator ? "Data requests" : "My data requests"}>
        {operator ? (
          <div className="filter-row">
            <Select label="Show" value={status} onChange={(v) => setStatus(v as StatusFilter)} options={[
              { value: "submitted", label: "Waiting for a decision" }, { value: "approved", label: "Approved" },
              { value: "denied", label: "Denied" }, { value: "", label: "All requests" },
            ]} />
          </div>
        ) : null}
        <QueryView query={list} loading="Loading the requests…" isEmpty={(l) => l.length === 0}
          empty={operator ? "No requests with this status." : "You have not asked for research data yet. Use the form below."}>
          {(l) => (
            <ul className="cards" aria-label={operator ? "Data requests" : "My data requests"}>
              {l.map((r) => <RequestCard key={r.id} request={r} operator={operator} />)}
            </ul>
          )}
        </QueryView>
      </Section>
      <NewRequest />
    </Page>
  );
}

function RequestCard({ request: r, operator }: { request: DataRequest; operator: boolean }) {
  const status = requestStatusWords(r.status);
  return (
    <li>
      <article className="result" aria-labelledby={`dr-${r.id}`}>
        <h3 id={`dr-${r.id}`}><Link to={`/research/requests/${r.id}`}>{r.title}</Link></h3>
        <p className="row"><Badge tone={status.tone}>{status.label}</Badge>
          <span className="muted small">Submitted {formatDateTime(r.created_at)}{operator ? ` by a ${roleName(r.requester_role).toLowerCase()}` : ""}</span></p>
        <p className="small">{(r.datasets ?? []).map(datasetTitle).join(", ")} · {formatDate(`${r.period_start}T12:00:00`)} – {formatDate(`${r.period_end}T12:00:00`)}</p>
        {r.reason ? <p>Reason for the decision: “{r.reason}”</p> : null}
      </article>
    </li>
  );
}

function NewRequest() {
  const queries = useQueryClient();
  const navigate = useNavigate();
  const catalogue = useQuery({
    queryKey: ["evaluation", "catalogue"],
    queryFn: () => data(evaluation.GET("/api/v1/evaluation/data-requests/catalogue")),
    staleTime: Infinity,
  });
  const [form, setForm] = useState<RequestForm>(EMPTY_REQUEST);
  const [errors, setErrors] = useState<RequestErrors>({});
  const [attempt, setAttempt] = useState(0);
  const summary = useRef<HTMLParagraphElement>(null);
  const set = <K extends keyof RequestForm>(key: K) => (value: RequestForm[K]) => setForm((f) => ({ ...f, [key]: value }));
  const submit = useMutation({
    mutationFn: () => data(evaluation.POST("/api/v1/evaluation/data-requests", { body: requestBodyOf(form) })),
    onSuccess: (created) => {
      void queries.invalidateQueries({ queryKey: ["evaluation", "data-requests"] });
      navigate(`/research/requests/${created.id}`, { state: { submitted: true } });
    },
  });
  const invalid = hasErrors(errors);
  useEffect(() => {
    if (invalid) summary.current?.focus();
  }, [invalid, attempt]);
  const fieldError = (name: keyof RequestForm) => errors[name] ?? serverFieldError(submit.error, name);

  return (
    <Section title="Ask for research data">
      <Form label="Ask for research data" error={submit.error} onSubmit={() => {
        const found = validateRequest(form);
        setErrors(found);
        setAttempt((n) => n + 1);
        if (hasErrors(found)) return;
        submit.mutate();
      }}>
        {invalid ? <p className="field-error" role="alert" tabIndex={-1} ref={summary}>Some fields need attention: see the messages below.</p> : null}
        <TextField label="Title of the study" required maxLength={LIMITS.title} value={form.title} onChange={set("title")} error={fieldError("title")} />
        <TextArea label="Purpose" required rows={5} maxLength={LIMITS.purpose} value={form.purpose} onChange={set("purpose")}
          hint="The research question, how the data will be used and who will see it." error={fieldError("purpose")} />
        <Select label="IRB status" required value={form.irb_status} onChange={set("irb_status")} error={fieldError("irb_status")}
          options={[{ value: "", label: "Choose the IRB status" }, ...IRB_STATUSES]} />
        <TextField label="IRB protocol number" required={irbNumberRequired(form.irb_status)} maxLength={LIMITS.irbNumber}
          value={form.irb_number} onChange={set("irb_number")} error={fieldError("irb_number")}
          hint="Required when the study is approved or exempt." />
        <QueryView query={catalogue} loading="Loading the datasets…">
          {(list) => <Datasets list={list} selected={form.datasets} onChange={set("datasets")} error={fieldError("datasets")} />}
        </QueryView>
        <fieldset className="choices period-picker">
          <legend>Period</legend>
          <p className="hint">The data of this period, both days included; the last day cannot be in the future.</p>
          <div className="period-fields">
            <TextField label="From" type="date" required value={form.period_start} onChange={set("period_start")} error={fieldError("period_start")} />
            <TextField label="To" type="date" required value={form.period_end} onChange={set("period_end")} error={fieldError("period_end")} />
          </div>
        </fieldset>
        <SubmitButton busy={submit.isPending} busyLabel="Submitting…">Submit the request</SubmitButton>
      </Form>
    </Section>
  );
}

function Datasets({ list, selected, onChange, error }: { list: Dataset[]; selected: string[]; onChange: (v: string[]) => void; error?: string }) {
  return (
    <fieldset className={`choices datasets${error ? " field-invalid" : ""}`} aria-describedby={error ? "datasets-error" : undefined}>
      <legend>Datasets <span className="required">(required)</span></legend>
      <p className="hint">Choose one or more. Each is a CSV file in the export with the columns listed.</p>
      {list.map((d) => {
        const id = `dataset-${d.name}`;
        const on = selected.includes(d.name ?? "");
        return (
          <div className="dataset" key={d.name}>
            <div className="choice">
              <input id={id} type="checkbox" checked={on} aria-describedby={`${id}-about`}
                onChange={() => onChange(on ? selected.filter((v) => v !== d.name) : [...selected, d.name ?? ""])} />
              <label htmlFor={id}>{datasetTitle(d.name)}</label>
            </div>
            <div id={`${id}-about`} className="dataset-about small">
              <p>{d.description}</p>
              <p>Columns: {(d.columns ?? []).map((c) => <code key={c}>{c}</code>).reduce<ReactNode[]>((all, c, i) => (i ? [...all, ", ", c] : [c]), [])}</p>
            </div>
          </div>
        );
      })}
      {error ? <p className="field-error" id="datasets-error">{error}</p> : null}
    </fieldset>
  );
}
