import { describe, expect, it } from "vitest";
import { ProblemError } from "../../api/problem";
import { invitationRefusal, invitationToken } from "./AcceptInvitation";
import { accountNotActive } from "./SignIn";

describe("invitation link", () => {
  it("reads the token from the fragment, or from the query as some mail programs rewrite it", () => {
    expect(invitationToken("#token=abc123def456", "")).toBe("abc123def456");
    expect(invitationToken("", "?token=zzz1234567")).toBe("zzz1234567");
    expect(invitationToken("#other=1", "")).toBeNull();
  });
  it("says why an invitation cannot be used", () => {
    const gone = (slug: string, status = 410) => new ProblemError(status, { type: `https://x/problems/${slug}` });
    expect(invitationRefusal(gone("invitation-expired"))).toMatch(/expired/);
    expect(invitationRefusal(gone("invitation-accepted"))).toMatch(/already been used/);
    expect(invitationRefusal(gone("invitation-revoked"))).toMatch(/withdrawn/);
    expect(invitationRefusal(gone("invitation-unknown", 404))).toMatch(/not valid/);
    expect(invitationRefusal(gone("email-taken", 409))).toBeNull();
  });
});

describe("signing in before approval", () => {
  it("says that the application waits for the institution", () => {
    const refused = accountNotActive(new ProblemError(403, {
      type: "https://x/problems/account-not-active", detail: "This account is pending.", status_of_account: "pending" }));
    expect(refused.title).toMatch(/waiting for approval/);
    expect(refused.detail).toMatch(/not approved your mentee application yet/);
  });
});

describe("signing in after an ejection", () => {
  it("shows identity's words: why, the dates, and whom to ask for reinstatement", () => {
    const detail = "You were removed from the MentorMeMed mentor program on 6 March 2025 because 2 of your mentorship requests expired unanswered within 30 days (on 1 March 2025 and 5 March 2025). To ask for reinstatement, write to your institution's MentorMeMed program administrators (Ada Admin <ada@x.edu>): say what kept you from answering and how you will answer requests from now on. The program's operators decide, and you will be told by e-mail.";
    const refused = accountNotActive(new ProblemError(403, {
      type: "https://x/problems/account-not-active", detail, status_of_account: "ejected", next_step: "ask-for-reinstatement" }));
    expect(refused.title).toMatch(/removed from the mentor program/);
    expect(refused.detail).toBe(detail);
  });
});
