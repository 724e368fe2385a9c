/**
 * The console's frame: sign-in when signed out; otherwise a header with the main navigation
 * and sign-out, and the page the URL fragment names. Focus moves to the new page's heading on
 * navigation, so keyboard and screen-reader users land where sighted users look.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { currentSession, onSessionChange, signOut } from "./api/client";
import type { Session } from "./api/session";
import { hrefOf, parseRoute, TOP_PAGES, type Route, type TopPage } from "./lib/route";
import { SignIn } from "./pages/sign-in";
import { DevicesPage } from "./pages/devices";
import { DevicePage } from "./pages/device/device-page";
import { RulesPage } from "./pages/rules";
import { WebhooksPage } from "./pages/webhooks";
import { ChannelsPage } from "./pages/channels";
import { GroupsPage } from "./pages/groups";
import { KeysPage } from "./pages/api-keys";
import { PoliciesPage } from "./pages/policies";

const TITLES: Record<TopPage, string> = {
  devices: "Devices",
  groups: "Groups",
  rules: "Rules",
  webhooks: "Webhooks",
  channels: "Channels",
  "api-keys": "API keys",
  policies: "Policies",
};

function who(s: Session): string {
  if (s.kind === "oauth") return `OAuth client ${s.clientId}`;
  return s.token.startsWith("umk_") ? "API key" : "Token";
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case "devices":
      return <DevicesPage />;
    case "device":
      // Keyed by id: another device is a new page, so nothing of the last one (its stream
      // state, status, data) shows under the new heading while the new stream opens.
      return <DevicePage key={route.id} id={route.id} tab={route.tab} />;
    case "groups":
      return <GroupsPage />;
    case "rules":
      return <RulesPage />;
    case "webhooks":
      return <WebhooksPage />;
    case "channels":
      return <ChannelsPage />;
    case "api-keys":
      return <KeysPage />;
    case "policies":
      return <PoliciesPage />;
    case "not-found":
      return (
        <>
          <h1 tabIndex={-1}>Page not found</h1>
          <p>
            Nothing lives at <code>#{route.path}</code>. Go to the <a href="#/devices">device list</a>.
          </p>
        </>
      );
  }
}

/** The whole console. */
export function App() {
  const [session, setSession] = useState<Session | null>(currentSession());
  const [reason, setReason] = useState<string | undefined>();
  const [route, setRoute] = useState<Route>(parseRoute(location.hash));
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);

  useEffect(() => onSessionChange((s, r) => {
    setSession(s);
    setReason(r);
  }), []);
  useEffect(() => {
    const follow = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", follow);
    return () => removeEventListener("hashchange", follow);
  }, []);

  // A new page (not a new tab of the same device) takes focus to its heading.
  const pageKey = route.page === "device" ? `device:${route.id}` : route.page;
  useEffect(() => {
    const top = route.page === "device" ? route.id : route.page === "not-found" ? "Not found" : TITLES[route.page];
    document.title = `${top} · Umbra console`;
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.querySelector<HTMLElement>("h1")?.focus();
  }, [pageKey, session]);

  if (!session) return <SignIn reason={reason} />;
  const current = route.page === "device" ? "devices" : route.page;
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => {
        e.preventDefault();
        main.current?.focus();
      }}>
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="#/devices">
          Umbra
        </a>
        <nav aria-label="Main">
          <ul>
            {TOP_PAGES.map((p) => (
              <li key={p}>
                <a href={hrefOf({ page: p })} aria-current={current === p ? "page" : undefined}>
                  {TITLES[p]}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span class="muted">{who(session)}</span>
          <button type="button" onClick={() => signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Page route={route} />
      </main>
    </>
  );
}
