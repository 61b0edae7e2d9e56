// TODO(issue 11): screen to be built.
import { Page } from "../../ui/page";

export default function IncomingRequests() {
  return <Page title="IncomingRequests" />;
}
