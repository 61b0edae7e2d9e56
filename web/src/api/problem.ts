// RFC 9457 problem details as people read them: the service's `detail`, and each invalid field's.

export interface FieldError {
  pointer?: string;
  parameter?: string;
  detail: string;
}

export class ProblemError extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: FieldError[];
  readonly requestId: string | undefined;
  readonly body: Record<string, unknown>;

  constructor(status: number, body: Record<string, unknown>, requestId?: string) {
    const title = typeof body.title === "string" ? body.title : defaultTitle(status);
    const detail = typeof body.detail === "string" ? body.detail : undefined;
    super(detail ?? title);
    this.name = "ProblemError";
    this.status = status;
    this.type = typeof body.type === "string" ? body.type : "about:blank";
    this.title = title;
    this.detail = detail;
    this.errors = Array.isArray(body.errors) ? (body.errors as FieldError[]).filter((e) => e && typeof e.detail === "string") : [];
    this.requestId = requestId ?? (typeof body.request_id === "string" ? body.request_id : undefined);
    this.body = body;
  }

  /** The last segment of the problem type: "agreement-required", "no-open-slot", ... */
  get code(): string {
    const slash = this.type.lastIndexOf("/");
    return slash >= 0 ? this.type.slice(slash + 1) : this.type;
  }

  /** The error of one body field ("email", "goals/0") or query parameter, if the service named it. */
  fieldError(name: string): string | undefined {
    const found = this.errors.find((e) => e.parameter === name || fieldOfPointer(e.pointer) === name);
    return found?.detail;
  }
}

export function fieldOfPointer(pointer: string | undefined): string | undefined {
  if (!pointer) return undefined;
  return pointer.replace(/^#?\//, "");
}

function defaultTitle(status: number): string {
  if (status === 0) return "No connection";
  if (status === 401) return "Please sign in again";
  if (status === 403) return "Not allowed";
  if (status === 404) return "Not found";
  if (status === 409) return "Conflict";
  if (status === 429) return "Too many attempts";
  if (status >= 500) return "The service is unavailable";
  return "Request refused";
}

/** A problem from a response whose body may not be JSON at all (a proxy's HTML page, an empty body). */
export async function problemFromResponse(response: Response): Promise<ProblemError> {
  const requestId = response.headers.get("X-Request-Id") ?? undefined;
  let body: Record<string, unknown> = {};
  try {
    const text = await response.clone().text();
    const parsed: unknown = text ? JSON.parse(text) : {};
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
  } catch {
    body = {};
  }
  if (typeof body.detail !== "string" && response.status >= 500) {
    body = { ...body, detail: "The service did not answer. Please try again in a moment." };
  }
  return new ProblemError(response.status, body, requestId);
}

export function networkProblem(): ProblemError {
  return new ProblemError(0, { detail: "MentorMeMed could not be reached. Check your connection and try again." });
}

/** The words to show for any error a screen meets. */
export function describe(error: unknown): { title: string; detail: string; fields: string[]; requestId?: string } {
  if (error instanceof ProblemError) {
    const fields = error.errors.map((e) => {
      const name = fieldOfPointer(e.pointer) ?? e.parameter;
      return name ? `${humanField(name)}: ${e.detail}` : e.detail;
    });
    return { title: error.title, detail: error.detail ?? error.title, fields, requestId: error.requestId };
  }
  if (error instanceof Error) return { title: "Something went wrong", detail: error.message, fields: [] };
  return { title: "Something went wrong", detail: String(error), fields: [] };
}

/** "request_received" -> "Request received", "goals/0" -> "Goals 1". */
export function humanField(name: string): string {
  const words = name
    .split("/")
    .map((part) => (/^\d+$/.test(part) ? String(Number(part) + 1) : part.replace(/_/g, " ")))
    .join(" ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}
