// The rewards an institution offers its mentors for meaningful participation (identity's reward policy):
// each as a person reads it, the form's state from the saved policy and back, and the service's refusal
// mapped to the reward it concerns. Pure functions, unit-tested in rewards.test.ts.
import type { components } from "../../api/schema/identity";
import { ProblemError, fieldOfPointer } from "../../api/problem";

export type RewardPolicy = components["schemas"]["RewardPolicy"];
export type RewardKey = keyof RewardPolicy;

export const DETAILS_MAX = 2000;

export const REWARDS: { key: RewardKey; label: string; about: string; example: string }[] = [
  { key: "promotion_recognition", label: "Recognition in promotion",
    about: "Mentoring counts in promotion and tenure reviews.",
    example: "For example: counted as educational service in the promotion dossier." },
  { key: "dedicated_fte", label: "Dedicated FTE (protected time)",
    about: "Part of the mentor's working time is set aside for mentoring.",
    example: "For example: 0.05 FTE for a mentor with three mentees." },
  { key: "dei_credentialing_recognition", label: "DEI credentialing recognition",
    about: "Mentoring counts toward a diversity, equity and inclusion credential.",
    example: "For example: counts toward the school's DEI leadership certificate." },
  { key: "cme_credit", label: "CME credit",
    about: "Continuing medical education credit for the mentor training and mentoring.",
    example: "For example: up to 12 AMA PRA Category 1 credits a year." },
  { key: "financial_compensation", label: "Financial compensation",
    about: "Mentors are paid for their mentoring.",
    example: "For example: a stipend of $1,000 a year." },
];

export interface RewardState {
  offered: boolean;
  details: string;
}

export type RewardForm = Record<RewardKey, RewardState>;

/** The form as the saved policy sets it (the institution's `reward_policy`, any shape): a reward not in
 * the policy, or not offered, is unticked; its details are kept. */
export function rewardForm(policy: unknown): RewardForm {
  const saved = policy && typeof policy === "object" ? (policy as Record<string, unknown>) : {};
  const form = {} as RewardForm;
  for (const { key } of REWARDS) {
    const entry = saved[key];
    const reward = entry && typeof entry === "object" ? (entry as { offered?: unknown; details?: unknown }) : {};
    form[key] = { offered: reward.offered === true, details: typeof reward.details === "string" ? reward.details : "" };
  }
  return form;
}

/** The whole policy to save: the offered rewards, each with its details (none when left empty). The
 * service replaces the policy with it, so a reward left out is not offered. */
export function rewardPolicy(form: RewardForm): RewardPolicy {
  const policy: RewardPolicy = {};
  for (const { key } of REWARDS) {
    const r = form[key];
    if (r.offered) policy[key] = { offered: true, details: r.details.trim() || null };
  }
  return policy;
}

export type RewardErrors = Partial<Record<RewardKey, string>>;

export function validateRewards(form: RewardForm): RewardErrors {
  const errors: RewardErrors = {};
  for (const { key, label } of REWARDS) {
    const r = form[key];
    if (r.offered && r.details.trim().length > DETAILS_MAX) {
      errors[key] = `The details of “${label}” are longer than ${DETAILS_MAX.toLocaleString("en-US")} characters; shorten them.`;
    }
  }
  return errors;
}

/** The service's refusal of a policy (422), by the reward each error names ("cme_credit/details",
 * "cme_credit"); the errors that name no reward are left to the form's general note. */
export function rewardServerErrors(error: unknown): { byReward: RewardErrors; other: boolean } {
  const byReward: RewardErrors = {};
  let other = false;
  if (!(error instanceof ProblemError)) return { byReward, other: Boolean(error) };
  for (const e of error.errors) {
    const field = fieldOfPointer(e.pointer) ?? "";
    const reward = REWARDS.find((r) => field === r.key || field.startsWith(`${r.key}/`));
    if (reward && !byReward[reward.key]) byReward[reward.key] = e.detail;
    else if (!reward) other = true;
  }
  if (error.errors.length === 0) other = true;
  return { byReward, other };
}

/** The rewards the policy offers, in words. */
export function offeredInWords(form: RewardForm): string {
  const offered = REWARDS.filter((r) => form[r.key].offered).map((r) => r.label);
  if (offered.length === 0) return "No reward is offered to mentors yet.";
  return `Offered to mentors: ${offered.join("; ")}.`;
}
