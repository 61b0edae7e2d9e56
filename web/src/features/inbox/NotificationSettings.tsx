// Which notifications also come by e-mail (the inbox always has them all). Categories the program
// requires — request deadlines, unresponsiveness, ejection, an institution's shortfall — are always
// e-mailed, and the screen says so in words.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link } from "react-router";
import { data, notifications } from "../../api/client";
import type { components } from "../../api/schema/notifications";
import { Checkbox, Form, SubmitButton } from "../../ui/form";
import { Page, Section } from "../../ui/page";
import { Notice, QueryView } from "../../ui/status";

type Preference = components["schemas"]["PreferenceOut"];

/** Only what changed, as the API takes it: category → e-mail on or off (mandatory ones never). */
export function changedPreferences(saved: Preference[], wanted: Record<string, boolean>): Record<string, boolean> {
  const changes: Record<string, boolean> = {};
  for (const p of saved) {
    if (!p.category || p.mandatory) continue;
    const want = wanted[p.category];
    if (want !== undefined && want !== p.email) changes[p.category] = want;
  }
  return changes;
}

export default function NotificationSettings() {
  const queries = useQueryClient();
  const prefs = useQuery({
    queryKey: ["preferences"],
    queryFn: () => data(notifications.GET("/api/v1/notifications/preferences")),
  });
  const [wanted, setWanted] = useState<Record<string, boolean>>({});
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (prefs.data) setWanted(Object.fromEntries(prefs.data.map((p) => [p.category ?? "", Boolean(p.email)])));
  }, [prefs.data]);
  const changes = prefs.data ? changedPreferences(prefs.data, wanted) : {};
  const save = useMutation({
    mutationFn: () => data(notifications.PUT("/api/v1/notifications/preferences", { body: { email: changes } })),
    onSuccess: (updated) => {
      queries.setQueryData(["preferences"], updated);
      setSaved(true);
    },
  });
  return (
    <Page title="Notification settings"
      intro={<p>Every notification reaches your <Link to="/inbox">inbox</Link>. Choose which ones also come by e-mail.</p>}>
      <QueryView query={prefs} isEmpty={(p) => p.length === 0} empty="There are no notifications for your role.">
        {(list) => {
          const required = list.filter((p) => p.mandatory);
          const optional = list.filter((p) => !p.mandatory);
          return (
            <>
              <Section title="E-mail">
                <Form label="E-mail notifications" error={save.error} onSubmit={() => { setSaved(false); save.mutate(); }}>
                  {saved && Object.keys(changes).length === 0 ? <Notice tone="good">Your settings were saved.</Notice> : null}
                  {optional.length === 0 ? <p>Every notification of your role is required by the program.</p> : null}
                  {optional.map((p) => (
                    <Checkbox key={p.category} label={`E-mail me: ${p.description}`} checked={Boolean(wanted[p.category ?? ""])}
                      onChange={(on) => { setSaved(false); setWanted((w) => ({ ...w, [p.category ?? ""]: on })); }} />
                  ))}
                  {optional.length ? (
                    <SubmitButton busy={save.isPending} busyLabel="Saving…" disabled={Object.keys(changes).length === 0}>Save settings</SubmitButton>
                  ) : null}
                </Form>
              </Section>
              {required.length ? (
                <Section title="Always by e-mail">
                  <p>The program requires these; their e-mail cannot be switched off.</p>
                  <ul>
                    {required.map((p) => <li key={p.category}>{p.description} — always on</li>)}
                  </ul>
                </Section>
              ) : null}
            </>
          );
        }}
      </QueryView>
    </Page>
  );
}
