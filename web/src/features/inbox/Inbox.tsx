// Everyone's inbox: notifications newest first, a page at a time, unread ones marked in words; opening
// one's link or "Mark as read" marks it read, "Mark all as read" clears the unread count, and the
// header's badge (the ["inbox", "badge"] query) follows.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { data, notifications } from "../../api/client";
import type { components } from "../../api/schema/notifications";
import { Checkbox } from "../../ui/form";
import { formatDateTime, relative } from "../../ui/format";
import { Badge, Page } from "../../ui/page";
import { ErrorNote, Notice, QueryView } from "../../ui/status";
import { clientPath, plural } from "../institution/labels";
import { Pager } from "../institution/pager";

type Notification = components["schemas"]["NotificationOut"];
const PAGE = 20;

export default function Inbox() {
  const queries = useQueryClient();
  const [offset, setOffset] = useState(0);
  const [unreadOnly, setUnreadOnly] = useState(false);
  const [marked, setMarked] = useState<string | null>(null);
  const inbox = useQuery({
    queryKey: ["inbox", "list", unreadOnly, offset],
    queryFn: () => data(notifications.GET("/api/v1/notifications/inbox", { params: { query: { limit: PAGE, offset, unread_only: unreadOnly } } })),
  });
  const refresh = () => void queries.invalidateQueries({ queryKey: ["inbox"] }); // the list and the header's badge
  const readOne = useMutation({
    mutationFn: (n: Notification) => data(notifications.POST("/api/v1/notifications/inbox/{notification_id}/read", { params: { path: { notification_id: n.id ?? "" } } })),
    onSuccess: refresh,
  });
  const readAll = useMutation({
    mutationFn: () => data(notifications.POST("/api/v1/notifications/inbox/read-all")),
    onSuccess: (done) => {
      setMarked(done.marked ? `${plural(done.marked ?? 0, "notification")} marked as read.` : "Nothing was unread.");
      refresh();
    },
  });
  const unread = inbox.data?.unread_count ?? 0;
  return (
    <Page title="Inbox"
      intro={<p>{inbox.data ? (unread ? `You have ${plural(unread, "unread notification")}.` : "You have no unread notifications.") : null}{" "}
        <Link to="/settings/notifications">Choose which notifications also come by e-mail</Link>.</p>}
      actions={
        <button type="button" className="button secondary" disabled={!unread || readAll.isPending} aria-busy={readAll.isPending || undefined}
          onClick={() => { setMarked(null); readAll.mutate(); }}>
          {readAll.isPending ? "Marking…" : "Mark all as read"}
        </button>
      }>
      {marked ? <Notice tone="good">{marked}</Notice> : null}
      {readAll.error ? <ErrorNote error={readAll.error} /> : null}
      {readOne.error ? <ErrorNote error={readOne.error} /> : null}
      <Checkbox label="Show unread only" checked={unreadOnly} onChange={(on) => { setUnreadOnly(on); setOffset(0); }} />
      <QueryView query={inbox} isEmpty={(d) => (d.items ?? []).length === 0 && offset === 0}
        empty={unreadOnly ? "No unread notifications." : "Nothing here yet: notifications about your requests, mentorships and training arrive here."}>
        {(d) => (
          <>
            <ul className="cards" aria-label="Notifications">
              {(d.items ?? []).map((n) => (
                <Item key={n.id} item={n} busy={readOne.isPending && readOne.variables?.id === n.id} onRead={() => readOne.mutate(n)} />
              ))}
            </ul>
            <Pager offset={offset} size={PAGE} count={(d.items ?? []).length} total={d.total} onChange={setOffset} />
          </>
        )}
      </QueryView>
    </Page>
  );
}

function Item({ item, busy, onRead }: { item: Notification; busy: boolean; onRead: () => void }) {
  const unread = !item.read_at;
  const to = clientPath(item.link);
  return (
    <li className={`result inbox-item${unread ? " unread" : ""}`}>
      <article aria-label={item.title}>
        <h2>{item.title}</h2>
        <p className="small muted">
          {unread ? <><Badge tone="info">Unread</Badge>{" "}</> : <span className="visually-hidden">Read. </span>}
          <time dateTime={item.created_at}>{formatDateTime(item.created_at)}</time>
          {item.created_at ? ` (${relative(item.created_at)})` : null}
        </p>
        <p>{item.body}</p>
        <div className="actions">
          {to ? <Link className="button small" to={to} aria-label={`Open: ${item.title}`} onClick={() => { if (unread) onRead(); }}>Open</Link> : null}
          {unread ? (
            <button type="button" className="button secondary small" disabled={busy} aria-busy={busy || undefined}
              aria-label={`Mark as read: ${item.title}`} onClick={onRead}>
              {busy ? "Marking…" : "Mark as read"}
            </button>
          ) : null}
        </div>
      </article>
    </li>
  );
}
