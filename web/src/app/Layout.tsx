// The frame of every screen: a skip link, the brand, the role's navigation (a menu button on phones),
// the inbox with its unread count, and sign-out.
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, NavLink, Outlet, useLocation, useNavigate } from "react-router";
import { data, notifications } from "../api/client";
import { useAuth, type Role } from "../auth/AuthProvider";
import { roleName } from "../ui/format";

interface NavItem {
  to: string;
  label: string;
}

function navFor(role: Role | undefined, institutionId: string | null | undefined): NavItem[] {
  switch (role) {
    case "mentee":
      return [
        { to: "/mentors", label: "Find a mentor" },
        { to: "/requests", label: "My requests" },
        { to: "/mentorships", label: "My mentorships" },
        { to: "/evaluations", label: "My evaluations" },
        { to: "/training", label: "Training" },
        { to: "/surveys", label: "My surveys" },
        { to: "/research/requests", label: "Research data" },
      ];
    case "mentor":
      return [
        { to: "/requests", label: "Requests" },
        { to: "/mentorships", label: "My mentees" },
        { to: "/profile", label: "My profile" },
        { to: "/feedback", label: "My feedback" },
        { to: "/training", label: "Training" },
        { to: "/nominate", label: "Nominate" },
        { to: "/surveys", label: "My surveys" },
        { to: "/research/requests", label: "Research data" },
      ];
    case "institution_admin":
      return [
        { to: `/institutions/${institutionId}`, label: "Dashboard" },
        { to: `/institutions/${institutionId}/invitations`, label: "Invitations" },
        { to: `/institutions/${institutionId}/participation`, label: "Participation report" },
        { to: `/institutions/${institutionId}/webhooks`, label: "Event feeds" },
        { to: `/institutions/${institutionId}/surveys`, label: "Surveys" },
        { to: "/research/requests", label: "Research data" },
      ];
    case "operator":
      return [
        { to: "/institutions", label: "Institutions" },
        { to: "/mentors", label: "Directory" },
        { to: "/ejected", label: "Ejected mentors" },
        { to: "/audit", label: "Audit log" },
        { to: "/surveys/manage", label: "Surveys" },
        { to: "/research/requests", label: "Research data" },
      ];
    default:
      return [];
  }
}

export function Layout() {
  const { status, user, role, institutionId, signOut } = useAuth();
  const [menuOpen, setMenuOpen] = useState(false);
  const location = useLocation();
  const navigate = useNavigate();
  useEffect(() => setMenuOpen(false), [location.pathname]);

  // The unread count is asked for once the screen's own requests are out (the browser is idle), not
  // alongside them: a phone on a slow network has a few connections to share.
  const idle = useIdle(status === "signed-in");
  const inbox = useQuery({
    queryKey: ["inbox", "badge"],
    queryFn: () => data(notifications.GET("/api/v1/notifications/inbox", { params: { query: { limit: 1 } } })),
    enabled: status === "signed-in" && idle,
    refetchInterval: 60_000,
  });
  const unread = inbox.data?.unread_count ?? 0;
  const items = status === "signed-in" ? navFor(role, institutionId) : [];

  return (
    <>
      <a className="skip-link" href="#main">Skip to content</a>
      <header className="app-header">
        <div className="app-bar">
          <Link to="/" className="brand">
            <img src="/icons/icon.svg" alt="" width="28" height="28" />
            <span>MentorMeMed</span>
          </Link>
          {status === "signed-in" ? (
            <div className="app-bar-actions">
              {/* The name comes from the content ("Inbox, 3 unread"), not an aria-label that would not
                  contain the visible "Inbox3" (WCAG 2.5.3, label in name). */}
              <Link to="/inbox" className="inbox-link">
                Inbox{unread ? (
                  <>
                    <span className="count" aria-hidden="true">{unread > 99 ? "99+" : unread}</span>
                    <span className="visually-hidden">, {unread} unread</span>
                  </>
                ) : null}
              </Link>
              <button type="button" className="menu-button" aria-expanded={menuOpen} aria-controls="main-nav"
                onClick={() => setMenuOpen((open) => !open)}>
                Menu
              </button>
            </div>
          ) : null}
        </div>
        {status === "signed-in" ? (
          <nav id="main-nav" aria-label="Main" className={menuOpen ? "open" : undefined}>
            <ul>
              {items.map((item) => (
                <li key={item.to}><NavLink to={item.to}>{item.label}</NavLink></li>
              ))}
              <li><NavLink to="/account">My account</NavLink></li>
              <li>
                <button type="button" className="link-button" onClick={() => {
                  void signOut().then(() => navigate("/signin", { replace: true }));
                }}>
                  Sign out
                </button>
              </li>
            </ul>
            <p className="signed-in-as">{user ? `${user.name} · ` : ""}{roleName(role)}</p>
          </nav>
        ) : null}
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
      <footer className="app-footer">
        <p>MentorMeMed connects medical learners with physician mentors.</p>
      </footer>
    </>
  );
}

/** True once the browser has been idle after `active` became true (at most 2 s later). */
function useIdle(active: boolean): boolean {
  const [idle, setIdle] = useState(false);
  useEffect(() => {
    if (!active || idle) return;
    if ("requestIdleCallback" in window) {
      const handle = window.requestIdleCallback(() => setIdle(true), { timeout: 2000 });
      return () => window.cancelIdleCallback(handle);
    }
    const timer = setTimeout(() => setIdle(true), 200);
    return () => clearTimeout(timer);
  }, [active, idle]);
  return idle;
}
