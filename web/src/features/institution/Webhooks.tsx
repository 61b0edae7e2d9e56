// An institution's event feeds (R18): webhook subscriptions of the notifications service — list,
// subscribe, change, disable or enable, delete, rotate the signing secret (shown once, in memory only),
// and each subscription's delivery log with replay.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { Link, Route, Routes, useNavigate, useParams } from "react-router";
import { data, notifications } from "../../api/client";
import type { components } from "../../api/schema/notifications";
import { Choices, Form, Select, SubmitButton, TextField, serverFieldError } from "../../ui/form";
import { formatDateTime } from "../../ui/format";
import { Badge, Facts, Page, Section } from "../../ui/page";
import { ErrorNote, Loading, Notice, QueryView } from "../../ui/status";
import { DataTable, type Column } from "../../ui/table";
import { NotFound } from "../../app/NotFound";
import { ConfirmButton } from "./confirm";
import { Pager } from "./pager";
import { isRefusal } from "./labels";
import { hasErrors, validateWebhook } from "./validate";
import { NotYourInstitution } from "./refused";

type Subscription = components["schemas"]["SubscriptionOut"];
type Created = components["schemas"]["SubscriptionCreatedOut"];
type Delivery = components["schemas"]["DeliveryOut"];

export default function Webhooks() {
  const { institutionId = "" } = useParams();
  return (
    <Routes>
      <Route index element={<SubscriptionList institutionId={institutionId} />} />
      <Route path=":subscriptionId" element={<SubscriptionPage institutionId={institutionId} />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}

function useEventTypes() {
  return useQuery({
    queryKey: ["event-types"],
    queryFn: () => data(notifications.GET("/api/v1/notifications/event-types")),
    staleTime: 10 * 60_000,
  });
}

function subscriptionStatus(s: Subscription): { label: string; tone: "good" | "warn" | "bad" } {
  if (s.status === "disabled") return { label: "Disabled", tone: "bad" };
  if (s.failing_since) return { label: "Active, failing", tone: "warn" };
  return { label: "Active", tone: "good" };
}

// --- the list, and subscribing --------------------------------------------------------------------------------------

function SubscriptionList({ institutionId }: { institutionId: string }) {
  const list = useQuery({
    queryKey: ["webhooks", institutionId],
    queryFn: () => data(notifications.GET("/api/v1/notifications/institutions/{institution_id}/webhooks", { params: { path: { institution_id: institutionId } } })),
    retry: (count, error) => !isRefusal(error) && count < 2,
  });
  const columns: Column<Subscription>[] = [
    { key: "url", header: "Address", cell: (s) => <Link to={s.id ?? ""} className="mono break">{s.url}</Link> },
    { key: "description", header: "Description", cell: (s) => s.description || "—" },
    { key: "events", header: "Events", cell: (s) => (s.event_types ?? []).join(", ") },
    { key: "status", header: "Status", cell: (s) => { const st = subscriptionStatus(s); return <span><Badge tone={st.tone}>{st.label}</Badge></span>; } },
  ];
  return (
    <Page title="Event feeds"
      intro={<p>Your systems can receive events about your institution's members as signed webhooks (Standard Webhooks). The same events can be pulled from the feed at <span className="mono break">/api/v1/notifications/feed</span>.</p>}
      actions={<Link className="button secondary" to={`/institutions/${institutionId}`}>Back to the dashboard</Link>}>
      <Section title="Subscriptions">
        {list.isError && isRefusal(list.error) ? (
          <NotYourInstitution what="event feeds" />
        ) : (
          <QueryView query={list} isEmpty={(rows) => rows.length === 0} empty="No webhook subscriptions yet.">
            {(rows) => <DataTable caption="Webhook subscriptions" columns={columns} rows={rows} rowKey={(s) => s.id ?? ""} />}
          </QueryView>
        )}
      </Section>
      {list.isError && isRefusal(list.error) ? null : <Subscribe institutionId={institutionId} />}
    </Page>
  );
}

function Subscribe({ institutionId }: { institutionId: string }) {
  const queries = useQueryClient();
  const types = useEventTypes();
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [events, setEvents] = useState<string[]>([]);
  const [errors, setErrors] = useState<ReturnType<typeof validateWebhook>>({});
  const [created, setCreated] = useState<Created | null>(null);
  const create = useMutation({
    mutationFn: () => data(notifications.POST("/api/v1/notifications/institutions/{institution_id}/webhooks", {
      params: { path: { institution_id: institutionId } },
      body: { url: url.trim(), event_types: events, description: description.trim() || null },
    })),
    onSuccess: (sub) => {
      setCreated(sub);
      setUrl("");
      setDescription("");
      setEvents([]);
      void queries.invalidateQueries({ queryKey: ["webhooks", institutionId] });
    },
  });
  return (
    <Section title="Subscribe an address">
      {created ? <SecretOnce secret={created.secret} onDone={() => setCreated(null)}
        what={<>The subscription of <span className="break">{created.url}</span> was created.</>} /> : null}
      <Form label="Subscribe an address" error={create.error} onSubmit={() => {
        const found = validateWebhook(url, events);
        setErrors(found);
        if (!hasErrors(found)) create.mutate();
      }}>
        <TextField label="Address (https URL)" type="url" inputMode="url" required maxLength={2000} value={url} onChange={setUrl}
          hint="It must be reachable on the public internet." error={errors.url ?? serverFieldError(create.error, "url")} />
        <TextField label="Description (optional)" maxLength={500} value={description} onChange={setDescription}
          error={serverFieldError(create.error, "description")} />
        <EventChoices types={types} selected={events} onChange={setEvents}
          error={errors.event_types ?? serverFieldError(create.error, "event_types")} />
        <SubmitButton busy={create.isPending} busyLabel="Subscribing…">Subscribe</SubmitButton>
      </Form>
    </Section>
  );
}

function EventChoices({ types, selected, onChange, error }: {
  types: ReturnType<typeof useEventTypes>;
  selected: string[];
  onChange: (v: string[]) => void;
  error?: string;
}) {
  if (types.isPending) return <Loading label="Loading the kinds of event…" />;
  if (types.isError) return <ErrorNote error={types.error} retry={() => void types.refetch()} />;
  return (
    <Choices legend="Events to receive" error={error} selected={selected} onChange={onChange}
      options={types.data.map((t) => ({ value: t.name ?? "", label: `${t.description} (${t.name})` }))} />
  );
}

/** A signing secret, shown once: it is kept only in this component's memory and forgotten on "Done". */
function SecretOnce({ secret, what, onDone }: { secret: string | undefined; what: ReactNode; onDone: () => void }) {
  return (
    <div className="notice notice-warn" role="status">
      <p><strong>{what}</strong></p>
      <p>
        Copy the signing secret now and keep it in your receiving system: it is shown <strong>only this once</strong>.
        Your system checks each delivery's signature with it.
      </p>
      <p>Signing secret: <code className="secret">{secret}</code></p>
      <button type="button" className="button secondary small" onClick={onDone}>I have stored the secret</button>
    </div>
  );
}

// --- one subscription ------------------------------------------------------------------------------------------

function SubscriptionPage({ institutionId }: { institutionId: string }) {
  const { subscriptionId = "" } = useParams();
  const query = useQuery({
    queryKey: ["webhook", subscriptionId],
    queryFn: () => data(notifications.GET("/api/v1/notifications/webhooks/{subscription_id}", { params: { path: { subscription_id: subscriptionId } } })),
    retry: (count, error) => !isRefusal(error) && count < 2,
  });
  if (query.isPending) return <Loading label="Loading the subscription…" />;
  if (query.isError) {
    return (
      <Page title="Webhook subscription">
        <ErrorNote error={query.error} retry={isRefusal(query.error) ? undefined : () => void query.refetch()} />
        <p><Link to={`/institutions/${institutionId}/webhooks`}>All subscriptions</Link></p>
      </Page>
    );
  }
  return <SubscriptionDetail sub={query.data} institutionId={institutionId} />;
}

function SubscriptionDetail({ sub, institutionId }: { sub: Subscription; institutionId: string }) {
  const queries = useQueryClient();
  const navigate = useNavigate();
  const id = sub.id ?? "";
  const path = { params: { path: { subscription_id: id } } };
  const [rotated, setRotated] = useState<Created | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const refresh = (updated: Subscription) => {
    queries.setQueryData(["webhook", id], updated);
    void queries.invalidateQueries({ queryKey: ["webhooks", institutionId] });
  };
  const toggle = useMutation({
    mutationFn: () => data(notifications.PATCH("/api/v1/notifications/webhooks/{subscription_id}", { ...path, body: { active: sub.status === "disabled" } })),
    onSuccess: (updated) => {
      refresh(updated);
      setSaved(updated.status === "disabled" ? "The subscription is disabled: nothing is delivered until you enable it." : "The subscription is enabled.");
    },
  });
  const rotate = useMutation({
    mutationFn: () => data(notifications.POST("/api/v1/notifications/webhooks/{subscription_id}/secret", path)),
    onSuccess: (updated) => {
      setRotated(updated);
      refresh(updated);
    },
  });
  const remove = useMutation({
    mutationFn: () => data(notifications.DELETE("/api/v1/notifications/webhooks/{subscription_id}", path)),
    onSuccess: () => {
      queries.removeQueries({ queryKey: ["webhook", id] });
      void queries.invalidateQueries({ queryKey: ["webhooks", institutionId] });
      navigate(`/institutions/${institutionId}/webhooks`, { replace: true });
    },
  });
  const status = subscriptionStatus(sub);
  return (
    <Page title="Webhook subscription"
      actions={<Link className="button secondary" to={`/institutions/${institutionId}/webhooks`}>All subscriptions</Link>}>
      <Section title="Subscription">
        <Facts items={[
          ["Address", <span className="mono break" key="url">{sub.url}</span>],
          ["Description", sub.description || "—"],
          ["Status", <Badge key="status" tone={status.tone}>{status.label}</Badge>],
          ["Why disabled", sub.disabled_reason || "—"],
          ["Failing since", sub.failing_since ? formatDateTime(sub.failing_since) : "—"],
          ["Events", (sub.event_types ?? []).join(", ")],
          ["Created", formatDateTime(sub.created_at)],
        ]} />
        {saved ? <Notice tone="good">{saved}</Notice> : null}
        {rotated ? <SecretOnce secret={rotated.secret} onDone={() => setRotated(null)}
          what="A new signing secret was issued. For a while, deliveries carry a signature with the old secret too." /> : null}
        {toggle.error ? <ErrorNote error={toggle.error} /> : null}
        {rotate.error ? <ErrorNote error={rotate.error} /> : null}
        {remove.error ? <ErrorNote error={remove.error} /> : null}
        <div className="actions">
          <button type="button" className="button secondary" disabled={toggle.isPending} aria-busy={toggle.isPending || undefined}
            onClick={() => toggle.mutate()}>
            {sub.status === "disabled" ? "Enable" : "Disable"}
          </button>
          <ConfirmButton label="Rotate the secret" className="button secondary" tone="primary"
            question="Issue a new signing secret? Update your receiving system with it." confirmLabel="Yes, issue a new secret"
            busy={rotate.isPending} onConfirm={() => rotate.mutate()} />
          <ConfirmButton label="Delete" className="button secondary"
            question="Delete this subscription and its delivery log? This cannot be undone." confirmLabel="Yes, delete"
            busy={remove.isPending} onConfirm={() => remove.mutate()} />
        </div>
      </Section>
      <DeliveryLog sub={sub} />
      <EditSubscription key={`${sub.updated_at}`} sub={sub} onSaved={(u) => { refresh(u); setSaved("Your changes were saved."); }} />
    </Page>
  );
}

function EditSubscription({ sub, onSaved }: { sub: Subscription; onSaved: (s: Subscription) => void }) {
  const types = useEventTypes();
  const [url, setUrl] = useState(sub.url ?? "");
  const [description, setDescription] = useState(sub.description ?? "");
  const [events, setEvents] = useState<string[]>(sub.event_types ?? []);
  const [errors, setErrors] = useState<ReturnType<typeof validateWebhook>>({});
  const save = useMutation({
    mutationFn: () => data(notifications.PATCH("/api/v1/notifications/webhooks/{subscription_id}", {
      params: { path: { subscription_id: sub.id ?? "" } },
      body: { url: url.trim(), description: description.trim() || null, event_types: events },
    })),
    onSuccess: onSaved,
  });
  return (
    <Section title="Change the subscription">
      <Form label="Change the subscription" error={save.error} onSubmit={() => {
        const found = validateWebhook(url, events);
        setErrors(found);
        if (!hasErrors(found)) save.mutate();
      }}>
        <TextField label="Address (https URL)" type="url" inputMode="url" required maxLength={2000} value={url} onChange={setUrl}
          error={errors.url ?? serverFieldError(save.error, "url")} />
        <TextField label="Description (optional)" maxLength={500} value={description} onChange={setDescription} />
        <EventChoices types={types} selected={events} onChange={setEvents} error={errors.event_types ?? serverFieldError(save.error, "event_types")} />
        <SubmitButton busy={save.isPending} busyLabel="Saving…">Save changes</SubmitButton>
      </Form>
    </Section>
  );
}

const PAGE = 20;
const DELIVERY_FILTERS = ["pending", "delivered", "failed", "cancelled"] as const;
type DeliveryFilter = (typeof DELIVERY_FILTERS)[number];

function deliveryFilter(value: string): DeliveryFilter | null {
  return DELIVERY_FILTERS.find((f) => f === value) ?? null;
}

function deliveryStatus(d: Delivery): { label: string; tone: "good" | "warn" | "bad" | "neutral" | "info" } {
  switch (d.status) {
    case "delivered": return { label: "Delivered", tone: "good" };
    case "pending": return { label: d.attempts ? "Retrying" : "Waiting", tone: "info" };
    case "failed": return { label: "Failed", tone: "bad" };
    case "cancelled": return { label: "Cancelled", tone: "neutral" };
    default: return { label: d.status ?? "—", tone: "neutral" };
  }
}

function DeliveryLog({ sub }: { sub: Subscription }) {
  const queries = useQueryClient();
  const id = sub.id ?? "";
  const [status, setStatus] = useState<DeliveryFilter | null>(null);
  const [offset, setOffset] = useState(0);
  const [replayed, setReplayed] = useState<string | null>(null);
  const query = useQuery({
    queryKey: ["deliveries", id, status, offset],
    queryFn: () => data(notifications.GET("/api/v1/notifications/webhooks/{subscription_id}/deliveries", {
      params: {
        path: { subscription_id: id },
        query: { limit: PAGE, offset, status },
      },
    })),
  });
  const replay = useMutation({
    mutationFn: (d: Delivery) => data(notifications.POST("/api/v1/notifications/webhooks/{subscription_id}/deliveries/{delivery_id}/replay", {
      params: { path: { subscription_id: id, delivery_id: d.id ?? "" } },
    })),
    onSuccess: (d) => {
      setReplayed(`The ${d.event_type} event is being delivered again.`);
      void queries.invalidateQueries({ queryKey: ["deliveries", id] });
    },
  });
  const columns: Column<Delivery>[] = [
    { key: "event", header: "Event", cell: (d) => d.event_type ?? "—" },
    { key: "status", header: "Status", cell: (d) => { const s = deliveryStatus(d); return <span><Badge tone={s.tone}>{s.label}</Badge></span>; } },
    { key: "created", header: "Created", cell: (d) => formatDateTime(d.created_at) },
    { key: "attempts", header: "Attempts", cell: (d) => d.attempts ?? 0 },
    {
      key: "last", header: "Last answer",
      cell: (d) => d.last_status_code ? `HTTP ${d.last_status_code}${d.last_error ? ` — ${d.last_error}` : ""}` : (d.last_error || "—"),
    },
    {
      key: "next", header: "Delivered or next try",
      cell: (d) => d.delivered_at ? `Delivered ${formatDateTime(d.delivered_at)}` : d.next_attempt_at ? `Next try ${formatDateTime(d.next_attempt_at)}` : "—",
    },
    {
      key: "replay", header: "Actions",
      cell: (d) => (
        <div><button type="button" className="button secondary small" disabled={sub.status === "disabled" || (replay.isPending && replay.variables?.id === d.id)}
          aria-label={`Replay the ${d.event_type} delivery of ${formatDateTime(d.created_at)}`} onClick={() => replay.mutate(d)}>
          Replay
        </button></div>
      ),
    },
  ];
  const rows = query.data ?? [];
  return (
    <Section title="Deliveries">
      <div className="filters narrow">
        <Select label="Show" value={status ?? ""} onChange={(v) => { setStatus(deliveryFilter(v)); setOffset(0); }} options={[
          { value: "", label: "All deliveries" }, { value: "pending", label: "Waiting or retrying" },
          { value: "delivered", label: "Delivered" }, { value: "failed", label: "Failed" }, { value: "cancelled", label: "Cancelled" },
        ]} />
      </div>
      {sub.status === "disabled" ? <p className="muted small">Enable the subscription to replay deliveries.</p> : null}
      {replayed ? <Notice tone="good">{replayed}</Notice> : null}
      {replay.error ? <ErrorNote error={replay.error} /> : null}
      <QueryView query={query} isEmpty={(r) => r.length === 0 && offset === 0} empty="Nothing has been delivered to this address yet.">
        {() => (
          <>
            <DataTable caption="Deliveries, newest first" columns={columns} rows={rows} rowKey={(d) => d.id ?? ""} />
            <Pager offset={offset} size={PAGE} count={rows.length} onChange={setOffset} />
          </>
        )}
      </QueryView>
    </Section>
  );
}
