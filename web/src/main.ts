// The nurses' page: log in, find out what the API lets this user read, then show the views by the URL's
// hash (#/arbeidsliste, #/manglende-malinger, #/pasient/<tenant>/<patient>).

import { ApiError, CentreApi } from "./api";
import { logout, signedInUser } from "./auth";
import { loadConfig, type PageConfig } from "./config";
import { announce, h, replace } from "./dom";
import { CASELOAD_ROUTE, showCaseload } from "./caseload";
import { showPatient } from "./patient";
import { MISSED, OPEN_ALERTS, showWorklist } from "./worklist";

interface Tab {
  hash: string;
  title: string;
}

const NURSE_TABS: Tab[] = [
  { hash: "#/arbeidsliste", title: "Arbeidsliste" },
  { hash: "#/manglende-malinger", title: "Manglende målinger og skjema" },
  { hash: "#/pasient", title: "Finn pasient" },
];
const READ_ONLY_TABS: Tab[] = [{ hash: "#/pasient", title: "Finn pasient" }];
const CASELOAD_TAB: Tab = { hash: "#/gjennomgang", title: "Gjennomgang" };

async function start(): Promise<void> {
  const config = await loadConfig();
  const user = await signedInUser(config);
  if (!user) return; // on the way to the login page
  const api = new CentreApi(config, user);
  // The API decides who may do what: a user it refuses the worklist (GP, hospital nurse) reads patients only.
  const canAct = await readsWorklist(api);
  const tabs = canAct ? [...NURSE_TABS] : READ_ONLY_TABS;
  const caseload = canAct && (await api.offers("GET", CASELOAD_ROUTE));
  if (caseload) tabs.splice(2, 0, CASELOAD_TAB);
  const main = document.getElementById("innhold") as HTMLElement;
  const name = String(user.profile.name ?? user.profile.sub);
  replace(document.getElementById("bruker") as HTMLElement,
    h("span", {}, canAct ? name : `${name} (kun lesetilgang)`), " ",
    h("button", { type: "button", class: "link", onclick: () => void logout(config) }, "Logg ut"));

  let generation = 0;
  const route = async (): Promise<void> => {
    const current = ++generation;
    const isCurrent = () => current === generation;
    const hash = window.location.hash || tabs[0].hash;
    renderTabs(tabs, hash);
    try {
      await show(hash, main, api, config, canAct, caseload, isCurrent);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) {
        replace(main, h("h1", {}, "Noe gikk galt"), h("p", {}, String(error instanceof Error ? error.message : error)));
      }
    }
    if (isCurrent()) document.title = `${main.querySelector("h1")?.textContent ?? "DHO"} – DHO`;
  };
  window.addEventListener("hashchange", () => void route());
  await route();
}

async function readsWorklist(api: CentreApi): Promise<boolean> {
  try {
    await api.get("/worklist?programme=none");
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) return false;
    throw error;
  }
}

async function show(
  hash: string, main: HTMLElement, api: CentreApi, config: PageConfig, canAct: boolean, caseload: boolean,
  isCurrent: () => boolean,
): Promise<void> {
  const poll = config.pollSeconds ?? 15;
  const patient = /^#\/pasient\/([a-z0-9-]+)\/([A-Z0-9-]+)$/.exec(hash);
  if (patient) return showPatient(main, api, patient[1], patient[2], canAct);
  if (hash.startsWith("#/pasient")) return showLookup(main);
  if (caseload && hash === "#/gjennomgang") return showCaseload(main, api);
  if (canAct && hash === "#/manglende-malinger") return showWorklist(main, api, MISSED, poll, isCurrent);
  if (canAct) return showWorklist(main, api, OPEN_ALERTS, poll, isCurrent);
  return showLookup(main);
}

function renderTabs(tabs: Tab[], hash: string): void {
  const nav = document.getElementById("faner") as HTMLElement;
  replace(nav, h("ul", {}, ...tabs.map((tab) => h("li", {}, h("a", {
    href: tab.hash, "aria-current": hash.startsWith(tab.hash) ? "page" : undefined,
  }, tab.title)))));
}

/** Open a patient by municipality and patient id (how a GP or hospital nurse reaches their patients). */
function showLookup(main: HTMLElement): void {
  const tenant = h("input", { id: "kommune", name: "tenant", required: true, pattern: "[a-z][a-z0-9-]{1,28}[a-z0-9]",
    autocomplete: "off" }) as HTMLInputElement;
  const patient = h("input", { id: "pasient-id", name: "patient", required: true, pattern: "P-[0-9A-Z]{4,32}",
    autocomplete: "off" }) as HTMLInputElement;
  const form = h("form", { class: "lookup" },
    h("label", { for: "kommune" }, "Kommune (f.eks. bodo)"), tenant,
    h("label", { for: "pasient-id" }, "Pasient-id (P-…)"), patient,
    h("button", { type: "submit", class: "primary" }, "Åpne pasient"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    window.location.hash = `#/pasient/${tenant.value.trim()}/${patient.value.trim().toUpperCase()}`;
  });
  replace(main, h("h1", {}, "Finn pasient"),
    h("p", {}, "Du ser bare pasienter du har tilgang til."), form);
}

start().catch((error: unknown) => {
  announce(`Siden kunne ikke starte: ${String(error)}`);
  replace(document.getElementById("innhold") as HTMLElement, h("h1", {}, "Siden kunne ikke starte"),
    h("p", {}, String(error instanceof Error ? error.message : error)));
});
