// Every screen and who may open it. Screens load on demand (one chunk each) so the first screen's
// JavaScript stays small; paths match the links the notifications service puts in its e-mails.
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { isValidElement, lazy, Suspense, useEffect, type ComponentType, type ReactNode } from "react";
import { Navigate, Route, Routes, useLocation, useParams, type Params } from "react-router";
import { session } from "../auth/session";
import { prefetchDashboard } from "../features/institution/queries";
import { prefetchSearch } from "../features/mentee/queries";
import { useAuth, type Role } from "../auth/AuthProvider";
import SignIn from "../features/auth/SignIn";
import { Loading } from "../ui/status";
import { Layout } from "./Layout";
import { NotFound } from "./NotFound";

/** A screen's component, loaded on first render; `preload` fetches its code ahead of that. Once the code
 * is in, the lazy component gets it synchronously (a thenable that answers at once): a promise, even a
 * settled one, makes React suspend, show the fallback, and hold the screen back by its reveal throttle. */
function screen(load: () => Promise<{ default: ComponentType }>) {
  let loaded: { default: ComponentType } | undefined;
  const preload = () => load().then((module) => (loaded = module));
  const component = lazy(() =>
    loaded ? ({ then: (resolve: (m: { default: ComponentType }) => void) => resolve(loaded!) } as unknown as Promise<{ default: ComponentType }>) : preload(),
  );
  return Object.assign(component, { preload });
}

const AcceptInvitation = screen(() => import("../features/auth/AcceptInvitation"));
const Register = screen(() => import("../features/auth/Register"));
const Account = screen(() => import("../features/account/Account"));
const NotificationSettings = screen(() => import("../features/inbox/NotificationSettings"));
const Inbox = screen(() => import("../features/inbox/Inbox"));
const Training = screen(() => import("../features/training/Training"));
const TrainingModule = screen(() => import("../features/training/TrainingModule"));
const Cme = screen(() => import("../features/training/Cme"));
const FindMentor = screen(() => import("../features/mentee/FindMentor"));
const MentorPage = screen(() => import("../features/mentee/MentorPage"));
const MenteeRequests = screen(() => import("../features/mentee/MyRequests"));
const MenteeMentorships = screen(() => import("../features/mentee/MyMentorships"));
const IncomingRequests = screen(() => import("../features/mentor/IncomingRequests"));
const MyMentees = screen(() => import("../features/mentor/MyMentees"));
const ProfileEditor = screen(() => import("../features/mentor/ProfileEditor"));
const Nominate = screen(() => import("../features/mentor/Nominate"));
const RequestPage = screen(() => import("../features/requests/RequestPage"));
const MentorshipPage = screen(() => import("../features/requests/MentorshipPage"));
const InstitutionDashboard = screen(() => import("../features/institution/Dashboard"));
const Invitations = screen(() => import("../features/institution/Invitations"));
const Rewards = screen(() => import("../features/institution/Rewards"));
const Webhooks = screen(() => import("../features/institution/Webhooks"));
const Institutions = screen(() => import("../features/operator/Institutions"));
const NewInstitution = screen(() => import("../features/operator/NewInstitution"));
const Ejected = screen(() => import("../features/operator/Ejected"));
const Audit = screen(() => import("../features/operator/Audit"));
const MyEvaluations = screen(() => import("../features/evaluation/MyEvaluations"));
const EvaluationPage = screen(() => import("../features/evaluation/EvaluationPage"));
const MyFeedback = screen(() => import("../features/evaluation/MyFeedback"));
const Participation = screen(() => import("../features/reports/Participation"));
const ResearchRequests = screen(() => import("../features/research/Requests"));
const ResearchRequestPage = screen(() => import("../features/research/RequestPage"));
const ResearchAudit = screen(() => import("../features/research/ResearchAudit"));
const MySurveys = screen(() => import("../features/surveys/MySurveys"));
const SurveyPage = screen(() => import("../features/surveys/SurveyPage"));
const ManageSurveys = screen(() => import("../features/surveys/ManageSurveys"));
const NewSurvey = screen(() => import("../features/surveys/NewSurvey"));
const SurveyAdmin = screen(() => import("../features/surveys/SurveyAdmin"));
const InstitutionSurveys = screen(() => import("../features/surveys/InstitutionSurveys"));

const ADMINS: Role[] = ["institution_admin", "operator"];

export function AppRoutes() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route path="/" element={<Home />} />
        <Route path="/signin" element={<SignIn />} />
        <Route path="/accept-invitation" element={<Lazy><AcceptInvitation /></Lazy>} />
        <Route path="/register" element={<Lazy><Register /></Lazy>} />

        <Route path="/account" element={<Only><Account /></Only>} />
        <Route path="/settings/notifications" element={<Only><NotificationSettings /></Only>} />
        <Route path="/inbox" element={<Only><Inbox /></Only>} />
        <Route path="/training" element={<Only roles={["mentee", "mentor"]}><Training /></Only>} />
        <Route path="/training/modules/:moduleId" element={<Only roles={["mentee", "mentor"]}><TrainingModule /></Only>} />
        <Route path="/training/cme" element={<Only roles={["mentor"]}><Cme /></Only>} />

        <Route path="/mentors" element={<Only roles={["mentee", "operator"]} prefetch={(queries, _, search) => prefetchSearch(queries, search)}><FindMentor /></Only>} />
        <Route path="/mentors/:mentorId" element={<Only roles={["mentee", "mentor", "institution_admin", "operator"]}><MentorPage /></Only>} />
        <Route path="/requests" element={<ByRole mentee={<MenteeRequests />} mentor={<IncomingRequests />} />} />
        <Route path="/requests/:requestId" element={<Only roles={["mentee", "mentor", "operator"]}><RequestPage /></Only>} />
        <Route path="/mentorships" element={<ByRole mentee={<MenteeMentorships />} mentor={<MyMentees />} />} />
        <Route path="/mentorships/:mentorshipId" element={<Only roles={["mentee", "mentor", "operator"]}><MentorshipPage /></Only>} />
        <Route path="/profile" element={<Only roles={["mentor"]}><ProfileEditor /></Only>} />
        <Route path="/nominate" element={<Only roles={["mentor"]}><Nominate /></Only>} />

        <Route path="/institutions" element={<Only roles={["operator"]}><Institutions /></Only>} />
        <Route path="/institutions/new" element={<Only roles={["operator"]}><NewInstitution /></Only>} />
        <Route path="/institutions/:institutionId" element={<Only roles={ADMINS} prefetch={(queries, { institutionId }) => prefetchDashboard(queries, institutionId!)}><InstitutionDashboard /></Only>} />
        <Route path="/institutions/:institutionId/invitations" element={<Only roles={ADMINS}><Invitations /></Only>} />
        <Route path="/institutions/:institutionId/rewards" element={<Only roles={ADMINS}><Rewards /></Only>} />
        <Route path="/institutions/:institutionId/webhooks/*" element={<Only roles={ADMINS}><Webhooks /></Only>} />
        <Route path="/institutions/:institutionId/participation" element={<Only roles={ADMINS}><Participation /></Only>} />

        <Route path="/evaluations" element={<Only roles={["mentee"]}><MyEvaluations /></Only>} />
        <Route path="/evaluations/:evaluationId" element={<Only roles={["mentee", "operator"]}><EvaluationPage /></Only>} />
        <Route path="/feedback" element={<Only roles={["mentor"]}><MyFeedback /></Only>} />
        <Route path="/research/requests" element={<Only><ResearchRequests /></Only>} />
        <Route path="/research/requests/:requestId" element={<Only><ResearchRequestPage /></Only>} />
        <Route path="/research/audit" element={<Only roles={["operator"]}><ResearchAudit /></Only>} />
        <Route path="/ejected" element={<Only roles={["operator"]}><Ejected /></Only>} />
        <Route path="/audit" element={<Only roles={["operator"]}><Audit /></Only>} />
        <Route path="/surveys" element={<Only roles={["mentee", "mentor"]}><MySurveys /></Only>} />
        <Route path="/surveys/:assignmentId" element={<Only roles={["mentee", "mentor"]}><SurveyPage /></Only>} />
        <Route path="/surveys/manage" element={<Only roles={["operator"]}><ManageSurveys /></Only>} />
        <Route path="/surveys/manage/new" element={<Only roles={["operator"]}><NewSurvey /></Only>} />
        <Route path="/surveys/manage/:surveyId" element={<Only roles={["operator"]}><SurveyAdmin /></Only>} />
        <Route path="/institutions/:institutionId/surveys" element={<Only roles={ADMINS}><InstitutionSurveys /></Only>} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}

function Lazy({ children }: { children: ReactNode }) {
  return <Suspense fallback={<Loading />}>{children}</Suspense>;
}

type Prefetch = (queries: QueryClient, params: Readonly<Params>, search: URLSearchParams) => void;

/** Signed-in people of the given roles (any role when none is given); others go to sign in. A screen
 * opened by a returning person (a link, a reload) may name its queries in `prefetch`: they start the
 * moment the session is restored, not after React has rendered the screen. */
function Only({ roles, prefetch, children }: { roles?: Role[]; prefetch?: Prefetch; children: ReactNode }) {
  const { status, role } = useAuth();
  const location = useLocation();
  const params = useParams();
  const queries = useQueryClient();
  const starting = status === "starting";
  useEffect(() => {
    if (!starting || !prefetch) return;
    // Started from the session's own notice that it is signed in (synchronously, as the refreshed token
    // is stored), not after React has rendered that change.
    const go = () => {
      const claims = session.claims();
      if (claims && (!roles || roles.includes(claims.role as Role))) {
        prefetch(queries, params, new URLSearchParams(location.search));
      }
    };
    if (session.signedIn) {
      go();
      return;
    }
    const off = session.subscribe(() => {
      if (!session.signedIn) return;
      off();
      go();
    });
    return off;
    // Once, as the page opens: later navigation renders the screen, which asks for its own queries.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [starting]);
  if (starting) {
    // The screen's code is fetched while the session is being restored, not after it.
    if (isValidElement(children)) (children.type as { preload?: () => unknown }).preload?.();
    return <Loading />;
  }
  if (status === "anonymous") {
    return <Navigate to="/signin" replace state={{ from: location.pathname + location.search + location.hash }} />;
  }
  if (roles && (!role || !roles.includes(role))) return <NotFound reason="This page is not part of your role in the program." />;
  return <Lazy>{children}</Lazy>;
}

function ByRole({ mentee, mentor }: { mentee: ReactNode; mentor: ReactNode }) {
  const { role } = useAuth();
  return <Only roles={["mentee", "mentor"]}>{role === "mentor" ? mentor : mentee}</Only>;
}

/** Each role's first screen. */
function Home() {
  const { status, role, institutionId } = useAuth();
  if (status === "starting") return <Loading />;
  if (status === "anonymous") return <Navigate to="/signin" replace />;
  switch (role) {
    case "mentee": return <Navigate to="/mentors" replace />;
    case "mentor": return <Navigate to="/requests" replace />;
    case "institution_admin": return <Navigate to={`/institutions/${institutionId}`} replace />;
    case "operator": return <Navigate to="/institutions" replace />;
    default: return <Navigate to="/account" replace />;
  }
}
