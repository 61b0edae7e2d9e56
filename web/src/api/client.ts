// Typed clients of the services, generated from their OpenAPI documents (see
// scripts/openapi-types.mjs). Every call goes through the session's fetch (bearer token, silent
// refresh) and `data()` turns an error answer into a ProblemError the screens show in words.
import createClient from "openapi-fetch";
import { session } from "../auth/session";
import { ProblemError, problemFromResponse } from "./problem";
import type { paths as DirectoryPaths } from "./schema/directory";
import type { paths as EvaluationPaths } from "./schema/evaluation";
import type { paths as IdentityPaths } from "./schema/identity";
import type { paths as MentorshipPaths } from "./schema/mentorship";
import type { paths as NotificationsPaths } from "./schema/notifications";
import type { paths as TrainingPaths } from "./schema/training";

const options = { baseUrl: "", fetch: (request: Request) => session.fetch(request) };

export const identity = createClient<IdentityPaths>(options);
export const directory = createClient<DirectoryPaths>(options);
export const mentorship = createClient<MentorshipPaths>(options);
export const training = createClient<TrainingPaths>(options);
export const notifications = createClient<NotificationsPaths>(options);
export const evaluation = createClient<EvaluationPaths>(options);

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The body of a successful answer, or a ProblemError carrying the service's problem details. */
export async function data<T>(call: Promise<Answer<T>>): Promise<T> {
  const answer = await call;
  if (answer.response.ok) return answer.data as T;
  throw await problemOf(answer);
}

/** As `data`, with the answer's headers (X-Total-Count and the like). */
export async function answer<T>(call: Promise<Answer<T>>): Promise<{ data: T; headers: Headers }> {
  const result = await call;
  if (result.response.ok) return { data: result.data as T, headers: result.response.headers };
  throw await problemOf(result);
}

/** openapi-fetch has already read an error answer's body (into `error`, parsed when it is JSON), so the
 * problem is built from that; a body that was not a JSON object (a proxy's HTML page, nothing) falls back
 * to the status's words. */
export async function problemOf(answer: Answer<unknown>): Promise<ProblemError> {
  const { error, response } = answer;
  if (error && typeof error === "object" && !Array.isArray(error)) {
    return new ProblemError(response.status, error as Record<string, unknown>, response.headers.get("X-Request-Id") ?? undefined);
  }
  return problemFromResponse(response.bodyUsed ? new Response(null, { status: response.status, headers: response.headers }) : response);
}

/** The options that send `text` as a CSV body (the bulk imports): openapi-fetch would otherwise
 * JSON-encode the string and call it application/json. Spread into a call's options with `params`. */
export function csvBody(text: string) {
  return {
    body: text,
    bodySerializer: (body: string) => body,
    headers: { "Content-Type": "text/csv; charset=utf-8" },
  };
}

/** A file the API sends (CSV, PDF), fetched with the session's token and saved under `filename`. */
export async function download(url: string, filename: string): Promise<void> {
  const response = await session.fetch(new Request(url, { headers: { Accept: "*/*" } }));
  if (!response.ok) throw await problemFromResponse(response);
  saveBlob(await response.blob(), filename);
}

export function saveBlob(blob: Blob, filename: string): void {
  const href = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = href;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}

export { ProblemError };
