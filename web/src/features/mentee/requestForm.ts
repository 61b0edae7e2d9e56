// Asking for mentorship: the form's checks use the limits of mentorship's RequestIn (message 1–4000
// characters; goals: 1–10, each 1–300 characters), and one Idempotency-Key per form makes a double
// click or a retry ONE request (pure, unit-tested).

export const MESSAGE_MAX = 4000;
export const GOALS_MAX = 10;
export const GOAL_MAX = 300;

/** One goal per line; blank lines and surrounding spaces do not count. */
export function parseGoals(text: string): string[] {
  return text.split(/\r?\n/).map((line) => line.replace(/^\s*(?:[-*•]|\d+[.)])\s+/, "").trim()).filter(Boolean);
}

export interface RequestErrors {
  message?: string;
  goals?: string;
}

export function validateRequest(message: string, goalsText: string): RequestErrors {
  const errors: RequestErrors = {};
  const text = message.trim();
  if (!text) errors.message = "Write a short message: who you are and why you are asking this mentor.";
  else if (text.length > MESSAGE_MAX) errors.message = `Use at most ${MESSAGE_MAX} characters (now ${text.length}).`;
  const goals = parseGoals(goalsText);
  if (goals.length === 0) errors.goals = "Write at least one goal, one per line.";
  else if (goals.length > GOALS_MAX) errors.goals = `Write at most ${GOALS_MAX} goals (now ${goals.length}).`;
  else {
    const long = goals.findIndex((g) => g.length > GOAL_MAX);
    if (long >= 0) errors.goals = `Goal ${long + 1} is too long: use at most ${GOAL_MAX} characters per goal.`;
  }
  return errors;
}

/** A random UUID v4; crypto.randomUUID where the browser offers it (secure contexts), else built from
 * crypto.getRandomValues. */
export function newIdempotencyKey(cryptoImpl: Pick<Crypto, "getRandomValues"> & { randomUUID?: () => string } = crypto): string {
  if (typeof cryptoImpl.randomUUID === "function") return cryptoImpl.randomUUID();
  const bytes = cryptoImpl.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** What to do next after a refusal of the request, by mentorship's problem type. */
export function refusalAdvice(code: string): { text: string; link?: { to: string; label: string } } | null {
  switch (code) {
    case "mentee-not-trained":
      return { text: "Finish your required training first.", link: { to: "/training", label: "Go to Training" } };
    case "mentee-not-enrolled":
      return { text: "Your enrollment may still be on its way after your approval: try again in a minute." };
    case "request-already-open":
      return { text: "Your earlier request to this mentor is still waiting for an answer.", link: { to: "/requests", label: "See my requests" } };
    case "mentorship-already-active":
      return { text: "You already have a mentorship with this mentor.", link: { to: "/mentorships", label: "See my mentorships" } };
    case "mentor-no-open-slot":
      return { text: "This mentor has no open slot now. Look for a mentor with an open slot.", link: { to: "/mentors?has_open_slot=true", label: "Find mentors with an open slot" } };
    case "mentor-local-only":
      return { text: "This mentor mentors only learners of their own institution.", link: { to: "/mentors", label: "Find another mentor" } };
    case "mentor-not-active":
    case "mentor-not-trained":
    case "mentor-not-published":
      return { text: "This mentor cannot take requests at the moment.", link: { to: "/mentors", label: "Find another mentor" } };
    default:
      return null;
  }
}
