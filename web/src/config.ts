// The page's deployment settings, served beside it as /config.json (written at deploy time from the stack's
// outputs; locally by the local cloud): nothing about a deployment is compiled into the bundle.

export interface PageConfig {
  apiUrl: string; // the centre API's base URL
  authority: string; // the OpenID Connect issuer (HelseID in production)
  clientId: string;
  scope: string;
  pollSeconds?: number;
}

export async function loadConfig(): Promise<PageConfig> {
  const response = await fetch("/config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json: ${response.status}`);
  const config = (await response.json()) as PageConfig;
  for (const key of ["apiUrl", "authority", "clientId", "scope"] as const) {
    if (typeof config[key] !== "string" || !config[key]) throw new Error(`config.json mangler ${key}`);
  }
  return { ...config, apiUrl: config.apiUrl.replace(/\/$/, "") };
}
