// The worklist tabs: the centre's open alerts (red first) and the day's missed measurements, refreshed by
// polling. A nurse acknowledges with one click and closes with an outcome and a note; read-only users never
// get here (the API refuses them the worklist).

import { ApiError, type CentreApi, type Worklist, type WorklistRow } from "./api";
import { alertActions } from "./actions";
import { h, replace, announce } from "./dom";
import { age, label, osloTime, PROGRAMMES, RULES, SEVERITY, TIERS } from "./format";

export interface WorklistView {
  title: string;
  path: string;
  empty: string;
}

export const OPEN_ALERTS: WorklistView = {
  title: "Åpne varsler", path: "/worklist", empty: "Ingen åpne varsler.",
};
export const MISSED: WorklistView = {
  title: "Manglende målinger og skjema", path: "/worklist/missed-measurements",
  empty: "Ingen manglende målinger eller skjema i dag.",
};

const SEVERITY_ORDER: Record<string, number> = { red: 0, yellow: 1 };

/** Red before yellow, oldest first (as the API orders them; kept if a merge of tenants mixes them). */
export function ordered(rows: WorklistRow[]): WorklistRow[] {
  return [...rows].sort((a, b) => (SEVERITY_ORDER[a.severity] ?? 9) - (SEVERITY_ORDER[b.severity] ?? 9)
    || a.opened_at.localeCompare(b.opened_at));
}

export async function showWorklist(
  main: HTMLElement, api: CentreApi, view: WorklistView, pollSeconds: number, isCurrent: () => boolean,
): Promise<void> {
  const snooze = await api.offers("POST", "/alerts/{tenant}/{alert_id}/snooze");
  const region = h("div", { id: "liste" });
  const updated = h("p", { class: "updated" });
  replace(main, h("h1", {}, view.title), updated, region);

  const refresh = async (): Promise<void> => {
    if (!isCurrent() || document.querySelector("dialog[open]")) return; // never redraw under an open form
    try {
      const worklist = (await api.get(view.path)) as Worklist;
      const focused = (document.activeElement as HTMLElement | null)?.dataset.key;
      replace(region, table(worklist, view, api, snooze, refresh));
      if (focused) region.querySelector<HTMLElement>(`[data-key="${CSS.escape(focused)}"]`)?.focus();
      updated.textContent = `Oppdatert ${osloTime(new Date().toISOString())}`;
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) announce(`Kunne ikke hente listen: ${String(error)}`);
    }
  };
  await refresh();
  const timer = window.setInterval(() => (isCurrent() ? void refresh() : window.clearInterval(timer)),
    pollSeconds * 1000);
}

function table(
  worklist: Worklist, view: WorklistView, api: CentreApi, snooze: boolean, refresh: () => Promise<void>,
): HTMLElement {
  if (worklist.rows.length === 0) return h("p", { class: "empty" }, view.empty);
  const body = h("tbody", {}, ...ordered(worklist.rows).map((row) => tableRow(row, api, snooze, refresh)));
  return h("div", {},
    worklist.truncated_tenants.length
      ? h("p", { class: "warning" }, `Listen viser ikke alle varsler for: ${worklist.truncated_tenants.join(", ")}`)
      : null,
    h("table", { class: "worklist" },
      h("caption", { class: "visually-hidden" }, `${view.title}: ${worklist.rows.length}`),
      h("thead", {}, h("tr", {}, ...["Alvorlighet", "Pasient", "Kommune", "Program", "Regel", "Alder",
        "Eskalering", "Kvittert av", "Handlinger"].map((text) => h("th", { scope: "col" }, text)))),
      body));
}

function tableRow(row: WorklistRow, api: CentreApi, snooze: boolean, refresh: () => Promise<void>): HTMLElement {
  const severity = SEVERITY[row.severity] ?? { label: row.severity, icon: "?" };
  const patientLink = h("a", { href: `#/pasient/${row.tenant}/${row.patient_id}`, "data-key": `p-${row.alert_id}` },
    row.patient_name ?? row.patient_id);
  return h("tr", { class: `severity-${row.severity}`, "data-alert": row.alert_id },
    h("td", {}, h("span", { class: `badge badge-${row.severity}` },
      h("span", { "aria-hidden": "true" }, severity.icon), ` ${severity.label}`)),
    h("td", {}, patientLink, h("span", { class: "code" }, row.patient_code ?? "")),
    h("td", {}, row.municipality),
    h("td", {}, label(PROGRAMMES, row.programme)),
    h("td", {}, label(RULES, row.rule)),
    h("td", {}, h("time", { datetime: row.opened_at, title: osloTime(row.opened_at) }, age(row.opened_at)),
      h("span", { class: "sub" }, osloTime(row.opened_at))),
    h("td", {}, TIERS[row.escalation_tier] ?? String(row.escalation_tier), snoozeNote(row.snoozed_until)),
    h("td", {}, row.acknowledged_by
      ? h("span", {}, row.acknowledged_by, h("span", { class: "sub" }, osloTime(row.acknowledged_at)))
      : "–"),
    h("td", { class: "actions" }, alertActions(row, api, { snooze, done: refresh })));
}

/** "Utsatt til …" (Oslo time) while a snooze holds; a snooze that has run out says nothing. */
function snoozeNote(until: string | null): HTMLElement | null {
  if (!until || new Date(until).getTime() <= Date.now()) return null;
  return h("span", { class: "sub snoozed" }, `Utsatt til ${osloTime(until)}`);
}
