// Dates and numbers as people read them (the browser's locale and time zone).

// One formatter of each kind: toLocaleString with options builds a new one at every call, which is
// slow on long lists.
const DATE = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric" });
const DATE_TIME = new Intl.DateTimeFormat(undefined, {
  year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit",
});
const RELATIVE = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "—";
  return DATE.format(new Date(iso));
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  return DATE_TIME.format(new Date(iso));
}

/** "in 3 days", "in 5 hours", "2 days ago" — relative to `now`. */
export function relative(iso: string, now: number = Date.now()): string {
  const ms = new Date(iso).getTime() - now;
  const abs = Math.abs(ms);
  const units: [number, Intl.RelativeTimeFormatUnit][] = [
    [86_400_000, "day"], [3_600_000, "hour"], [60_000, "minute"],
  ];
  const fmt = RELATIVE;
  for (const [size, unit] of units) {
    if (abs >= size || unit === "minute") return fmt.format(Math.round(ms / size), unit);
  }
  return fmt.format(0, "minute");
}

/** "Dec 3, 2026, 5:00 PM (in 3 days)" */
export function deadline(iso: string, now: number = Date.now()): string {
  return `${formatDateTime(iso)} (${relative(iso, now)})`;
}

export function percent(value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  return `${Math.round(value * 100)} %`;
}

export function roleName(role: string | undefined): string {
  switch (role) {
    case "mentee": return "Mentee";
    case "mentor": return "Mentor";
    case "institution_admin": return "Institution administrator";
    case "operator": return "Program operator";
    default: return role ?? "";
  }
}
