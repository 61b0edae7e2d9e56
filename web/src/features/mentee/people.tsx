// A mentor's name where a request or mentorship names only their id: the contact once accepted, else the
// directory's public profile (while it is published and visible), else a neutral phrase.
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { data, directory } from "../../api/client";

export function useMentorName(mentorId: string | undefined, contactName?: string | null): { name?: string; loading: boolean } {
  const profile = useQuery({
    queryKey: ["directory", "mentor", mentorId],
    queryFn: () => data(directory.GET("/api/v1/directory/mentors/{mentor_id}", { params: { path: { mentor_id: mentorId ?? "" } } })),
    enabled: Boolean(mentorId) && !contactName,
    retry: false,
    staleTime: 5 * 60_000,
  });
  if (contactName) return { name: contactName, loading: false };
  return { name: profile.data?.display_name ?? undefined, loading: profile.isPending && profile.fetchStatus !== "idle" };
}

/** The mentor's name, linked to their public profile when it is in the directory. */
export function MentorName({ mentorId, contactName }: { mentorId: string | undefined; contactName?: string | null }) {
  const { name, loading } = useMentorName(mentorId, contactName);
  if (!mentorId) return <>A mentor</>;
  if (loading) return <>A mentor…</>;
  if (name === undefined) return <>A mentor whose profile is not public now</>;
  return <Link to={`/mentors/${mentorId}`}>{name}</Link>;
}
