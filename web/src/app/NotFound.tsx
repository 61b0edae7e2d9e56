import { Link } from "react-router";
import { Page } from "../ui/page";

export function NotFound({ reason }: { reason?: string }) {
  return (
    <Page title="Page not found">
      <p>{reason ?? "There is no page at this address."}</p>
      <p><Link to="/">Go to your start page</Link></p>
    </Page>
  );
}
