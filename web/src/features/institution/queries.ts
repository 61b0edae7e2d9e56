// The institution dashboard's queries, in a module of their own so that the router can start them the
// moment the session is restored, before React renders the screen (routes.tsx, `Only`'s prefetch).
import { queryOptions, type QueryClient } from "@tanstack/react-query";
import { data, directory, identity, mentorship, training } from "../../api/client";
import { ProblemError } from "../../api/problem";

/** Refusals that mean "not yours": identity answers 404 for an institution the caller does not manage. */
export function isRefusal(error: unknown): boolean {
  return error instanceof ProblemError && (error.status === 403 || error.status === 404);
}

export const institutionQuery = (id: string) => queryOptions({
  queryKey: ["institution", id],
  queryFn: () => data(identity.GET("/api/v1/identity/institutions/{institution_id}", { params: { path: { institution_id: id } } })),
  retry: (count, error) => !isRefusal(error) && count < 2,
});

// Each section's query, shared by the section and by the dashboard, which asks them all at once. The
// first screen (the sections a phone shows first) appears when its answers are in; the sections below
// it appear together when theirs are, under what is already shown, so nothing on screen moves (sections
// appearing one by one had pushed the page down as each arrived: Lighthouse measured a shift of 0.32).
export const sectionQueries = {
  compliance: (id: string) => queryOptions({
    queryKey: ["compliance", id],
    queryFn: () => data(identity.GET("/api/v1/identity/institutions/{institution_id}/compliance", { params: { path: { institution_id: id } } })),
  }),
  invitations: (id: string) => queryOptions({
    queryKey: ["invitations", id],
    queryFn: () => data(identity.GET("/api/v1/identity/institutions/{institution_id}/invitations", { params: { path: { institution_id: id } } })),
  }),
  applications: (id: string) => queryOptions({
    queryKey: ["applications", id],
    queryFn: () => data(identity.GET("/api/v1/identity/institutions/{institution_id}/mentee-applications", { params: { path: { institution_id: id } } })),
  }),
  training: (id: string) => queryOptions({
    queryKey: ["institution-training", id],
    queryFn: () => data(training.GET("/api/v1/training/institutions/{institution_id}/training", { params: { path: { institution_id: id } } })),
  }),
  counts: (id: string) => queryOptions({
    queryKey: ["institution-counts", id],
    queryFn: () => data(mentorship.GET("/api/v1/mentorship/institutions/{institution_id}/counts", { params: { path: { institution_id: id } } })),
  }),
  mentors: (id: string) => queryOptions({
    queryKey: ["institution-mentors", id],
    queryFn: () => data(directory.GET("/api/v1/directory/institutions/{institution_id}/mentors", { params: { path: { institution_id: id }, query: { limit: 500 } } })),
  }),
};

type SectionKey = keyof typeof sectionQueries;
export const FIRST_SCREEN: SectionKey[] = ["compliance", "invitations"];
export const BELOW: SectionKey[] = ["applications", "training", "counts", "mentors"];

/** A section's query as the dashboard asks it: a refusal of the institution is the same refusal for each
 * section, so none is retried. */
export const sectionQuery = (key: SectionKey, id: string) => ({ ...sectionQueries[key](id), retry: false as const });

/** Every query of the dashboard, started at once (they land in the cache the screen reads). */
export function prefetchDashboard(queries: QueryClient, id: string): void {
  const q = sectionQueries;
  void queries.prefetchQuery(institutionQuery(id));
  void queries.prefetchQuery({ ...q.compliance(id), retry: false });
  void queries.prefetchQuery({ ...q.invitations(id), retry: false });
  void queries.prefetchQuery({ ...q.applications(id), retry: false });
  void queries.prefetchQuery({ ...q.training(id), retry: false });
  void queries.prefetchQuery({ ...q.counts(id), retry: false });
  void queries.prefetchQuery({ ...q.mentors(id), retry: false });
}


