// TODO(issue 11): screen to be built.
import { Page } from "../../ui/page";

export default function RequestPage() {
  return <Page title="RequestPage" />;
}
