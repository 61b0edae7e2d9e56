// TODO(issue 11): screen to be built.
import { Page } from "../../ui/page";

export default function Cme() {
  return <Page title="Cme" />;
}
