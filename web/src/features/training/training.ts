// Training's words and the module body's preparation (pure, unit-tested).
import { ProblemError } from "../../api/problem";
import type { components } from "../../api/schema/training";

export type Progress = components["schemas"]["ProgressOut"];

/** A module's progress in words (and a tone the words repeat). */
export function progressWords(p: Progress | undefined, hasCheck: boolean): { label: string; tone: "good" | "warn" | "neutral" | "info" } {
  switch (p?.status) {
    case "attested":
      return { label: p.update_available ? "Completed (a newer version is available to review)" : "Completed", tone: "good" };
    case "check_passed":
      return { label: "Knowledge check passed: attest to complete", tone: "info" };
    case "in_progress":
      return { label: "Knowledge check not passed yet", tone: "warn" };
    default:
      return { label: hasCheck ? "Not started" : "Not started (no knowledge check)", tone: "neutral" };
  }
}

/** The answers of a knowledge check: every question answered, one choice index each. */
export function validateAnswers(answers: (number | undefined)[], questions: number): { missing: number[]; error?: string } {
  const missing: number[] = [];
  for (let i = 0; i < questions; i++) if (answers[i] === undefined) missing.push(i + 1);
  if (missing.length === 0) return { missing };
  const list = missing.length === 1 ? `question ${missing[0]}` : `questions ${missing.slice(0, -1).join(", ")} and ${missing[missing.length - 1]}`;
  return { missing, error: `Answer ${list} before checking your answers.` };
}

/**
 * The module's HTML (already sanitised by the training service) made to fit the page: its own title
 * heading is dropped when it repeats the page's h1, other headings move one level down (the page has
 * one h1), inline styles go (the Content-Security-Policy refuses them) and links open safely.
 */
export function prepareModuleHtml(html: string, title: string): string {
  const doc = new DOMParser().parseFromString(`<div id="root">${html}</div>`, "text/html");
  const root = doc.getElementById("root");
  if (!root) return "";
  const first = root.firstElementChild;
  if (first && first.tagName === "H1" && normalise(first.textContent) === normalise(title)) first.remove();
  for (const level of [5, 4, 3, 2, 1]) {
    for (const h of Array.from(root.querySelectorAll(`h${level}`))) {
      const next = doc.createElement(`h${level + 1}`);
      next.innerHTML = h.innerHTML;
      h.replaceWith(next);
    }
  }
  for (const el of Array.from(root.querySelectorAll("[style]"))) el.removeAttribute("style");
  for (const a of Array.from(root.querySelectorAll("a[href]"))) {
    a.setAttribute("rel", "noopener noreferrer nofollow");
    a.setAttribute("target", "_blank");
  }
  return root.innerHTML;
}

function normalise(text: string | null): string {
  return (text ?? "").trim().replace(/\s+/g, " ").toLowerCase();
}

export function minutes(n: number | undefined): string {
  if (!n) return "";
  return n < 60 ? `about ${n} minutes` : `about ${Math.round((n / 60) * 10) / 10} hours`;
}

/** CME credit hours in words; the API sends them as exact decimal strings ("1.50"). */
export function hours(n: number | string | null | undefined): string {
  if (n === null || n === undefined) return "";
  const v = Number(n);
  return `${v.toLocaleString("en-US", { maximumFractionDigits: 2 })} CME credit ${v === 1 ? "hour" : "hours"}`;
}

/** A new learner's enrollment reaches training by an event a moment after approval: wait for it (a
 * few retries, a second apart) rather than showing the refusal at once. */
export function retryNotEnrolled(failures: number, error: Error): boolean {
  if (error instanceof ProblemError && error.code === "not-enrolled") return failures < 15;
  return failures < 2 && !(error instanceof ProblemError && error.status >= 400 && error.status < 500);
}
