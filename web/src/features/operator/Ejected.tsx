// TODO(issue 11): screen to be built.
import { Page } from "../../ui/page";

export default function Ejected() {
  return <Page title="Ejected" />;
}
