// The mentor search's query, in a module of its own so that the router can start it the moment the
// session is restored, before React renders the screen (routes.tsx, `Only`'s prefetch).
import { keepPreviousData, queryOptions, type QueryClient } from "@tanstack/react-query";
import { data, directory } from "../../api/client";
import { parseSearch, toQuery, type Search } from "./search";

export const searchQuery = (search: Search) => queryOptions({
  queryKey: ["directory", "search", toQuery(search)],
  queryFn: () => data(directory.GET("/api/v1/directory/mentors", { params: { query: toQuery(search) } })),
  placeholderData: keepPreviousData,
});

export function prefetchSearch(queries: QueryClient, params: URLSearchParams): void {
  void queries.prefetchQuery(searchQuery(parseSearch(params)));
}
