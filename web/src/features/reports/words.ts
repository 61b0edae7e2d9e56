// The participation report's figures in words (R15). Unit-tested in words.test.ts.
import { ratingWords } from "../evaluation/evaluation";

/** 5.26 → "5.3 hours", 50 → "2.1 days", null → "—". */
export function durationWords(hours: number | null | undefined): string {
  if (hours === null || hours === undefined) return "—";
  if (hours < 1) return `${Math.max(1, Math.round(hours * 60))} min`;
  if (hours < 48) return `${(Math.round(hours * 10) / 10).toString()} hours`;
  return `${(Math.round((hours / 24) * 10) / 10).toString()} days`;
}

/** A count of evaluations and, beside it, the averages or why they are withheld. */
export function evaluationWords(count: number, withheld: boolean, overall: number | null | undefined, minimum: number): string {
  if (count === 0) return "None";
  if (withheld) return `${count} — averages withheld (fewer than ${minimum})`;
  return `${count} — overall ${ratingWords(overall)}`;
}

/** A period's days, both included: "Jan 1, 2025 – Dec 31, 2025". */
export function periodWords(from: string, to: string, format: (iso: string) => string): string {
  return `${format(`${from}T12:00:00`)} – ${format(`${to}T12:00:00`)}`;
}
