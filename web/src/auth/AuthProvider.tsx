// Who is signed in: the session's tokens (memory) and identity's /me, shared by every screen.
import { queryOptions, useQuery, useQueryClient, useSuspenseQuery } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { data, identity } from "../api/client";
import type { components } from "../api/schema/identity";
import { session, type Claims } from "./session";

export type Me = components["schemas"]["MeOut"];
export type User = components["schemas"]["UserOut"];
export type Role = "mentee" | "mentor" | "institution_admin" | "operator";

interface Auth {
  /** "starting": the silent refresh from the cookie has not answered yet. */
  status: "starting" | "anonymous" | "signed-in";
  /** /me's answer: undefined for a moment after sign-in or refresh (role and institution come sooner). */
  me: Me | undefined;
  user: User | undefined;
  /** From the access token, known as soon as the session is: screens and their queries need not wait for /me. */
  role: Role | undefined;
  institutionId: string | undefined;
  signIn: (email: string, password: string, acceptAgreementVersion?: number) => Promise<void>;
  signOut: () => Promise<void>;
}

const AuthContext = createContext<Auth | null>(null);

const meQuery = queryOptions({
  queryKey: ["me"],
  queryFn: () => data(identity.GET("/api/v1/identity/me")),
  staleTime: 60_000,
});

export function AuthProvider({ children }: { children: ReactNode }) {
  const queries = useQueryClient();
  const [started, setStarted] = useState(false);
  const [signedIn, setSignedIn] = useState(session.signedIn);

  useEffect(() => {
    const off = session.subscribe(() => {
      setSignedIn(session.signedIn);
      if (!session.signedIn) queries.clear(); // nothing of the last person stays in memory
    });
    void session.restore().finally(() => setStarted(true));
    return () => {
      off();
    };
  }, [queries]);

  const me = useQuery({ ...meQuery, enabled: signedIn });

  const signIn = useCallback(
    async (email: string, password: string, acceptAgreementVersion?: number) => {
      queries.clear();
      await session.signIn(email, password, acceptAgreementVersion);
      await queries.fetchQuery(meQuery);
    },
    [queries],
  );

  const signOut = useCallback(async () => {
    await session.signOut();
    queries.clear();
  }, [queries]);

  const value = useMemo<Auth>(() => {
    // Signed in as soon as there is an access token: its claims say the role and institution, and /me
    // is fetched alongside the screen's own queries rather than before them. A /me that fails (an account
    // closed since the token was issued) ends the session in the client's eyes.
    const claims: Claims | null = signedIn && !me.isError ? session.claims() : null;
    const status = claims ? "signed-in" : !started ? "starting" : "anonymous";
    return {
      status,
      me: claims ? me.data : undefined,
      user: claims ? me.data?.user : undefined,
      role: claims?.role as Role | undefined,
      institutionId: claims?.inst ?? undefined,
      signIn,
      signOut,
    };
  }, [started, signedIn, me.data, me.isError, signIn, signOut]);

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error("useAuth outside AuthProvider");
  return auth;
}

/** The signed-in user, from /me (screens behind `Only`, inside its Suspense: they wait for /me, not the others). */
export function useUser(): User {
  const { user } = useSuspenseQuery(meQuery).data;
  if (!user) throw new Error("/me answered without a user");
  return user;
}
