// Login: OpenID Connect authorization code flow with PKCE (oidc-client-ts). Tokens live in sessionStorage
// for this tab only; an expired or refused token sends the user back to the issuer's login.

import { User, UserManager, WebStorageStateStore } from "oidc-client-ts";
import type { PageConfig } from "./config";

let manager: UserManager | undefined;

function userManager(config: PageConfig): UserManager {
  manager ??= new UserManager({
    authority: config.authority,
    client_id: config.clientId,
    redirect_uri: `${window.location.origin}/`,
    post_logout_redirect_uri: `${window.location.origin}/`,
    response_type: "code",
    scope: config.scope,
    loadUserInfo: false,
    automaticSilentRenew: false, // silent renew needs an iframe to the issuer; the CSP forbids frames
    monitorSession: false,
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
  });
  return manager;
}

/** The logged-in user, finishing a login that just came back from the issuer; null while redirecting. */
export async function signedInUser(config: PageConfig): Promise<User | null> {
  const users = userManager(config);
  const query = new URLSearchParams(window.location.search);
  if (query.has("code") && query.has("state")) {
    const user = await users.signinRedirectCallback();
    const back = typeof user.state === "string" ? user.state : "#/";
    window.history.replaceState(null, "", `/${back}`);
    return user;
  }
  const user = await users.getUser();
  if (user && !user.expired) return user;
  await login(config);
  return null;
}

/** To the issuer's login page; back to the same view afterwards. */
export async function login(config: PageConfig): Promise<void> {
  const users = userManager(config);
  await users.removeUser();
  await users.signinRedirect({ state: window.location.hash || "#/" });
}

export async function logout(config: PageConfig): Promise<void> {
  const users = userManager(config);
  await users.removeUser();
  await users.signoutRedirect().catch(() => window.location.assign("/"));
}
