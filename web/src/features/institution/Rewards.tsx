// The rewards an institution offers its mentors for meaningful participation: promotion recognition,
// protected time, DEI credentialing, CME credit, pay — each ticked or not, with its details, saved as a
// whole (identity's PUT …/reward-policy). Institution admins edit their own institution's, operators any.
// A screen of its own rather than a dashboard section: it is a form used now and then, and the
// dashboard's first screen stays as light as it was (no extra query, no extra code in its chunk).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { data, identity } from "../../api/client";
import type { components } from "../../api/schema/identity";
import { Checkbox, Form, SubmitButton, TextArea } from "../../ui/form";
import { Page, Section } from "../../ui/page";
import { ErrorNote, Loading, Notice } from "../../ui/status";
import { institutionQuery, isRefusal } from "./queries";
import {
  DETAILS_MAX, REWARDS, offeredInWords, rewardForm, rewardPolicy, rewardServerErrors, validateRewards,
  type RewardErrors, type RewardForm, type RewardKey,
} from "./rewards";
import { NotYourInstitution } from "./refused";

type Institution = components["schemas"]["InstitutionAdminOut"];

export default function Rewards() {
  const { institutionId = "" } = useParams();
  const institution = useQuery(institutionQuery(institutionId));
  if (institution.isPending) return <Loading label="Loading the rewards…" />;
  if (institution.isError) {
    return (
      <Page title="Rewards for mentors">
        {isRefusal(institution.error) ? (
          <NotYourInstitution what="rewards" />
        ) : <ErrorNote error={institution.error} retry={() => void institution.refetch()} />}
      </Page>
    );
  }
  return <RewardsForm institution={institution.data} id={institutionId} />;
}

function RewardsForm({ institution, id }: { institution: Institution; id: string }) {
  const queries = useQueryClient();
  const [form, setForm] = useState<RewardForm>(() => rewardForm(institution.reward_policy));
  const [errors, setErrors] = useState<RewardErrors>({});
  const [saved, setSaved] = useState(false);
  const save = useMutation({
    mutationFn: () => data(identity.PUT("/api/v1/identity/institutions/{institution_id}/reward-policy", {
      params: { path: { institution_id: id } },
      body: rewardPolicy(form),
    })),
    onSuccess: (updated) => {
      setSaved(true);
      setForm(rewardForm(updated.reward_policy));
      queries.setQueryData(institutionQuery(id).queryKey, updated);
    },
  });
  const server = rewardServerErrors(save.error);
  const change = (key: RewardKey, part: Partial<RewardForm[RewardKey]>) => {
    setSaved(false);
    setForm((all) => ({ ...all, [key]: { ...all[key], ...part } }));
  };

  return (
    <Page title="Rewards for mentors"
      intro={<p>{institution.name}: what the institution offers its mentors for meaningful participation.</p>}
      actions={<Link className="button secondary" to={`/institutions/${id}`}>Back to the dashboard</Link>}>
      <Section title="Rewards offered">
        <p>
          Tick each reward the institution offers and say what it is: the participation reports state them as the
          institution's offer. The rewards are saved together; a reward not ticked is not offered.
        </p>
        <Form label="Rewards for mentors" error={server.other ? save.error : undefined}
          onSubmit={() => {
            setSaved(false);
            const found = validateRewards(form);
            setErrors(found);
            if (Object.keys(found).length === 0) save.mutate();
          }}>
          {REWARDS.map((r) => {
            const error = errors[r.key] ?? server.byReward[r.key];
            return (
              <fieldset className={`choices reward${error ? " field-invalid" : ""}`} key={r.key}>
                <legend>{r.label}</legend>
                <Checkbox label="Offered to mentors" hint={r.about} checked={form[r.key].offered}
                  onChange={(offered) => change(r.key, { offered })} />
                {form[r.key].offered ? (
                  <TextArea label="Details (optional)" hint={r.example} rows={2} maxLength={DETAILS_MAX}
                    value={form[r.key].details} onChange={(details) => change(r.key, { details })} error={error} />
                ) : error ? <p className="field-error">{error}</p> : null}
              </fieldset>
            );
          })}
          <SubmitButton busy={save.isPending} busyLabel="Saving…">Save the rewards</SubmitButton>
          {/* next to the button, so that a phone shows it where the person is */}
          <div className="saved-note">
            {saved ? <Notice tone="good">The rewards were saved. {offeredInWords(rewardForm(institution.reward_policy))}</Notice> : null}
          </div>
        </Form>
      </Section>
    </Page>
  );
}
