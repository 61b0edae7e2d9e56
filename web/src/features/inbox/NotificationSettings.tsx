// TODO(issue 11): screen to be built.
import { Page } from "../../ui/page";

export default function NotificationSettings() {
  return <Page title="NotificationSettings" />;
}
