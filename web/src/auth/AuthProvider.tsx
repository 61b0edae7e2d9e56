// Who is signed in: the session's tokens (memory) and identity's /me, shared by every screen.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { data, identity } from "../api/client";
import type { components } from "../api/schema/identity";
import { session } from "./session";

export type Me = components["schemas"]["MeOut"];
export type User = components["schemas"]["UserOut"];
export type Role = "mentee" | "mentor" | "institution_admin" | "operator";

interface Auth {
  /** "starting": the silent refresh from the cookie has not answered yet. */
  status: "starting" | "anonymous" | "signed-in";
  me: Me | undefined;
  user: User | undefined;
  role: Role | undefined;
  signIn: (email: string, password: string, acceptAgreementVersion?: number) => Promise<void>;
  signOut: () => Promise<void>;
}

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const queries = useQueryClient();
  const [started, setStarted] = useState(false);
  const [signedIn, setSignedIn] = useState(session.signedIn);

  useEffect(() => {
    const off = session.subscribe(() => {
      setSignedIn(session.signedIn);
      if (!session.signedIn) queries.clear(); // nothing of the last person stays in memory
    });
    session
      .refresh()
      .catch(() => false)
      .finally(() => setStarted(true));
    return () => {
      off();
    };
  }, [queries]);

  const me = useQuery({
    queryKey: ["me"],
    queryFn: () => data(identity.GET("/api/v1/identity/me")),
    enabled: signedIn,
    staleTime: 60_000,
  });

  const signIn = useCallback(
    async (email: string, password: string, acceptAgreementVersion?: number) => {
      queries.clear();
      await session.signIn(email, password, acceptAgreementVersion);
      await queries.fetchQuery({ queryKey: ["me"], queryFn: () => data(identity.GET("/api/v1/identity/me")) });
    },
    [queries],
  );

  const signOut = useCallback(async () => {
    await session.signOut();
    queries.clear();
  }, [queries]);

  const value = useMemo<Auth>(() => {
    const status = !started && !signedIn ? "starting" : signedIn && me.data ? "signed-in" : signedIn && !me.isError ? "starting" : "anonymous";
    const user = signedIn ? me.data?.user : undefined;
    return { status, me: signedIn ? me.data : undefined, user, role: user?.role as Role | undefined, signIn, signOut };
  }, [started, signedIn, me.data, me.isError, signIn, signOut]);

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error("useAuth outside AuthProvider");
  return auth;
}

/** The signed-in user (screens behind RequireRole only). */
export function useUser(): User {
  const { user } = useAuth();
  if (!user) throw new Error("useUser without a signed-in user");
  return user;
}
