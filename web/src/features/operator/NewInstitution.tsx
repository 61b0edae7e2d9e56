// Operators subscribe an institution (InstitutionCreate): its name and kind, its medical-school class
// size (which sets the R1 mentor minimum, shown as it is typed), a contact, the subscription status and
// the rewards it offers its mentors (R15); then its dashboard opens.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { data, identity } from "../../api/client";
import type { components } from "../../api/schema/identity";
import { Checkbox, Form, Select, SubmitButton, TextField, serverFieldError } from "../../ui/form";
import { Page } from "../../ui/page";
import { REWARDS, rewardForm, rewardPolicy, type RewardForm } from "../institution/rewards";
import { hasErrors, minimumMentors, validateInstitution } from "../institution/validate";

type Status = components["schemas"]["InstitutionCreate"]["subscription_status"];

function noRewards(): RewardForm {
  return rewardForm({});
}

function statusOf(value: string): Status {
  return value === "suspended" || value === "lapsed" ? value : "active";
}

export default function NewInstitution() {
  const navigate = useNavigate();
  const queries = useQueryClient();
  const [name, setName] = useState("");
  const [kind, setKind] = useState<"academic" | "hbcu">("academic");
  const [classSize, setClassSize] = useState("");
  const [contactName, setContactName] = useState("");
  const [contactEmail, setContactEmail] = useState("");
  const [contactPhone, setContactPhone] = useState("");
  const [status, setStatus] = useState<Status>("active");
  const [rewards, setRewards] = useState<RewardForm>(noRewards);
  const [errors, setErrors] = useState<ReturnType<typeof validateInstitution>>({});

  const create = useMutation({
    mutationFn: () => data(identity.POST("/api/v1/identity/institutions", {
      body: {
        name: name.trim(), kind, class_size: Number(classSize), subscription_status: status,
        contact: { name: contactName.trim(), email: contactEmail.trim(), phone: contactPhone.trim() || null },
        reward_policy: rewardPolicy(rewards),
      },
    })),
    onSuccess: (created) => {
      void queries.invalidateQueries({ queryKey: ["compliance"] });
      navigate(`/institutions/${created.id}`);
    },
  });

  const size = /^\d+$/.test(classSize.trim()) ? Number(classSize) : null;
  const minimum = size === null ? null : minimumMentors(kind, size);
  const err = (field: keyof typeof errors, server: string = field) => errors[field] ?? serverFieldError(create.error, server);

  return (
    <Page title="Create an institution" actions={<Link className="button secondary" to="/institutions">All institutions</Link>}>
      <Form label="Create an institution" error={create.error} onSubmit={() => {
        const found = validateInstitution({ name, kind, classSize, contactName, contactEmail, contactPhone });
        setErrors(found);
        if (!hasErrors(found)) create.mutate();
      }}>
        <TextField label="Name" required maxLength={200} value={name} onChange={setName} error={err("name")} />
        <Select label="Kind" required value={kind} onChange={(v) => setKind(v === "hbcu" ? "hbcu" : "academic")} error={err("kind")}
          options={[{ value: "academic", label: "Academic medical school" }, { value: "hbcu", label: "HBCU (no mentor minimum)" }]} />
        <TextField label="Medical-school class size" type="number" inputMode="numeric" min={0} max={100000} required
          value={classSize} onChange={setClassSize} error={err("class_size")}
          hint={minimum === null ? "Students per class year; it sets the mentor minimum."
            : minimum === 0 ? "Mentor minimum: none (HBCU)." : `Mentor minimum: ${minimum} enrolled mentors.`} />
        <fieldset className="choices">
          <legend>Contact at the institution</legend>
          <TextField label="Contact name" required maxLength={200} value={contactName} onChange={setContactName}
            error={err("contact_name", "contact/name")} />
          <TextField label="Contact e-mail" type="email" inputMode="email" required value={contactEmail} onChange={setContactEmail}
            error={err("contact_email", "contact/email")} />
          <TextField label="Contact phone (optional)" type="tel" maxLength={50} value={contactPhone} onChange={setContactPhone}
            error={serverFieldError(create.error, "contact/phone")} />
        </fieldset>
        <Select label="Subscription" value={status} onChange={(v) => setStatus(statusOf(v))}
          options={[{ value: "active", label: "Active" }, { value: "suspended", label: "Suspended" }, { value: "lapsed", label: "Lapsed" }]} />
        <fieldset className="choices">
          <legend>Rewards the institution offers its mentors</legend>
          {REWARDS.map((r) => (
            <div key={r.key}>
              <Checkbox label={r.label} checked={rewards[r.key].offered}
                onChange={(offered) => setRewards((all) => ({ ...all, [r.key]: { ...all[r.key], offered } }))} />
              {rewards[r.key].offered ? (
                <TextField label={`${r.label}: details (optional)`} maxLength={2000} value={rewards[r.key].details}
                  onChange={(details) => setRewards((all) => ({ ...all, [r.key]: { ...all[r.key], details } }))} />
              ) : null}
            </div>
          ))}
        </fieldset>
        <SubmitButton busy={create.isPending} busyLabel="Creating…">Create the institution</SubmitButton>
      </Form>
    </Page>
  );
}
