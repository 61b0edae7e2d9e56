// The browser's session. The access token lives in this object's memory only; the refresh token is in
// an HttpOnly cookie that script never sees (identity sets it on `refresh_in: "cookie"`). The access
// token is renewed silently a minute before it expires and once on a 401; refreshes are single-flight
// (and, across tabs, serialised with the Web Locks API: a rotated refresh token reused by a second tab
// would revoke the whole family).
import { networkProblem, problemFromResponse } from "../api/problem";

const AUTH = "/api/v1/identity/auth";
const EARLY_MS = 60_000;

interface TokensBody {
  access_token: string;
  expires_in: number;
}

type Listener = () => void;

/** What the access token says of its holder (identity's claims); enough to choose screens before /me answers. */
export interface Claims {
  sub: string;
  role: string;
  inst: string | null;
}

/** The payload of a JWT, unverified: the client only uses it to decide what to show; the APIs verify it. */
export function decodeClaims(token: string): Claims | null {
  const part = token.split(".")[1];
  if (!part) return null;
  try {
    const base64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
    const payload = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))));
    if (typeof payload?.sub !== "string" || typeof payload?.role !== "string") return null;
    return { sub: payload.sub, role: payload.role, inst: typeof payload.inst === "string" ? payload.inst : null };
  } catch {
    return null;
  }
}

export class Session {
  private access: string | null = null;
  private expiresAt = 0;
  private refreshing: Promise<boolean> | null = null;
  private restoring: Promise<boolean> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly listeners = new Set<Listener>();

  constructor(
    private readonly fetchImpl: typeof fetch = (input, init) => globalThis.fetch(input, init),
    private readonly now: () => number = () => Date.now(),
  ) {}

  get signedIn(): boolean {
    return this.access !== null;
  }

  accessToken(): string | null {
    return this.access;
  }

  /** The signed-in person's claims, from the access token in memory. */
  claims(): Claims | null {
    return this.access ? decodeClaims(this.access) : null;
  }

  /** The page's first refresh from the cookie, started once (main.tsx starts it before React renders). */
  restore(): Promise<boolean> {
    this.restoring ??= this.refresh().catch(() => false);
    return this.restoring;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sign in; a 403 agreement-required ProblemError carries the agreement to show and accept. */
  async signIn(email: string, password: string, acceptAgreementVersion?: number): Promise<void> {
    const body: Record<string, unknown> = { email, password, refresh_in: "cookie" };
    if (acceptAgreementVersion) body.accept_agreement_version = acceptAgreementVersion;
    const response = await this.post(`${AUTH}/token`, body);
    if (!response.ok) throw await problemFromResponse(response);
    this.store((await response.json()) as TokensBody);
  }

  /** Renew the access token from the refresh cookie. False when there is no session to renew. */
  refresh(acceptAgreementVersion?: number): Promise<boolean> {
    if (!this.refreshing) {
      this.refreshing = withLock("mmm-refresh", () => this.doRefresh(acceptAgreementVersion)).finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  /** Sign out: identity revokes the refresh token's family and clears the cookie; memory is cleared
   * whatever the answer (an unreachable server must not keep the person signed in here). */
  async signOut(): Promise<void> {
    try {
      await this.post(`${AUTH}/signout`, {});
    } catch {
      // cleared below all the same
    }
    this.clear();
  }

  /** fetch for the API clients: the bearer token on every request; one silent refresh and retry on 401. */
  readonly fetch = async (request: Request): Promise<Response> => {
    if (this.access && this.expiresAt - this.now() < EARLY_MS / 2) await this.refresh().catch(() => false);
    const retry = request.clone();
    const response = await this.send(request);
    if (response.status !== 401 || request.url.includes(`${AUTH}/`)) return response;
    if (!(await this.refresh().catch(() => false))) return response;
    return this.send(retry);
  };

  private async doRefresh(acceptAgreementVersion?: number): Promise<boolean> {
    const body: Record<string, unknown> = {};
    if (acceptAgreementVersion) body.accept_agreement_version = acceptAgreementVersion;
    const response = await this.post(`${AUTH}/refresh`, body);
    if (response.ok) {
      this.store((await response.json()) as TokensBody);
      return true;
    }
    if (response.status === 403) throw await problemFromResponse(response); // e.g. agreement-required
    if (response.status >= 500 || response.status === 429) throw await problemFromResponse(response);
    this.clear();
    return false;
  }

  private async send(request: Request): Promise<Response> {
    const headers = new Headers(request.headers);
    if (this.access) headers.set("Authorization", `Bearer ${this.access}`);
    try {
      return await this.fetchImpl(new Request(request, { headers }));
    } catch {
      throw networkProblem();
    }
  }

  private async post(url: string, body: unknown): Promise<Response> {
    const headers: Record<string, string> = { "Content-Type": "application/json", Accept: "application/json" };
    if (this.access) headers.Authorization = `Bearer ${this.access}`;
    try {
      return await this.fetchImpl(url, {
        method: "POST",
        headers,
        body: JSON.stringify(body),
        credentials: "same-origin",
      });
    } catch {
      throw networkProblem();
    }
  }

  private store(tokens: TokensBody): void {
    const wasSignedIn = this.signedIn;
    this.access = tokens.access_token;
    this.expiresAt = this.now() + tokens.expires_in * 1000;
    this.schedule(tokens.expires_in * 1000 - EARLY_MS);
    if (!wasSignedIn) this.emit();
  }

  private clear(): void {
    const wasSignedIn = this.signedIn;
    this.access = null;
    this.expiresAt = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (wasSignedIn) this.emit();
  }

  private schedule(inMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.refresh().catch(() => undefined);
    }, Math.max(inMs, 5_000));
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

async function withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== "undefined" ? (navigator as Navigator & { locks?: LockManager }).locks : undefined;
  if (!locks) return fn();
  return locks.request(name, fn) as Promise<T>;
}

export const session = new Session();
