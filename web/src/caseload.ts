// The caseload review tab ("gjennomgang av brukerlister"): every enrolled patient of the centre with the last
// reading, 14-day adherence, 30-day alerts and outcomes, plan age and review date; a nurse marks a patient
// reviewed and sets the next review date. Pages of 50 (the API's `next_page`).

import { ApiError, type CentreApi } from "./api";
import { announce, h, replace } from "./dom";
import { label, OUTCOMES, osloTime, PROGRAMMES } from "./format";
import { formDialog, openDialog } from "./actions";

export const CASELOAD_ROUTE = "/caseload";
const NEXT_REVIEW_DAYS = 90;

interface CaseloadRow {
  tenant: string; municipality: string; patient_id: string; name: string; code: string; programme: string;
  review_on: string; review_due: boolean; reviewed_by: string | null; reviewed_at: string | null;
  last_reading_at: string | null; adherence_14d_overall: number | null;
  alerts_30d: Record<string, number>; open_alerts_30d: number; outcomes_30d: Record<string, number>;
  plan_version: number | null; plan_age_days: number | null;
}

interface Caseload {
  rows: CaseloadRow[];
  next_page: string | null;
}

export async function showCaseload(main: HTMLElement, api: CentreApi): Promise<void> {
  const body = h("tbody", {});
  const more = h("div", {});
  replace(main, h("h1", {}, "Gjennomgang av brukerlister"),
    h("table", { class: "caseload" },
      h("thead", {}, h("tr", {}, ...["Pasient", "Kommune", "Program", "Siste måling", "Etterlevelse 14 d",
        "Varsler 30 d", "Utfall 30 d", "Plan", "Gjennomgang", "Handlinger"].map((t) => h("th", { scope: "col" }, t)))),
      body),
    more);
  const load = async (after?: string): Promise<void> => {
    const query = new URLSearchParams({ limit: "50", ...(after ? { after } : {}) });
    const page = (await api.get(`${CASELOAD_ROUTE}?${query}`)) as Caseload;
    body.append(...page.rows.map((row) => caseloadRow(row, api, () => showCaseload(main, api))));
    replace(more, page.next_page
      ? h("button", { type: "button", onclick: () => void load(page.next_page ?? undefined) }, "Vis flere")
      : null);
    if (!body.children.length) replace(more, h("p", { class: "empty" }, "Ingen innskrevne pasienter."));
  };
  await load();
}

function caseloadRow(row: CaseloadRow, api: CentreApi, done: () => Promise<void>): HTMLElement {
  const alerts = `${row.alerts_30d.red ?? 0} røde, ${row.alerts_30d.yellow ?? 0} gule` +
    (row.open_alerts_30d ? ` (${row.open_alerts_30d} åpne)` : "");
  const outcomes = Object.entries(row.outcomes_30d).map(([code, n]) => `${label(OUTCOMES, code)}: ${n}`).join(", ");
  return h("tr", { "data-patient": row.patient_id, class: row.review_due ? "review-due" : undefined },
    h("td", {}, h("a", { href: `#/pasient/${row.tenant}/${row.patient_id}` }, row.name),
      h("span", { class: "code" }, row.code)),
    h("td", {}, row.municipality),
    h("td", {}, label(PROGRAMMES, row.programme)),
    h("td", {}, osloTime(row.last_reading_at)),
    h("td", {}, row.adherence_14d_overall === null ? "–" : `${Math.round(row.adherence_14d_overall * 100)} %`),
    h("td", {}, alerts),
    h("td", {}, outcomes || "–"),
    h("td", {}, row.plan_version === null ? "Ingen plan" : `v${row.plan_version}, ${row.plan_age_days} d gammel`),
    h("td", {}, row.review_due ? h("strong", {}, `Forfalt ${row.review_on}`) : row.review_on,
      row.reviewed_by ? h("span", { class: "sub" }, `Sist: ${row.reviewed_by}, ${osloTime(row.reviewed_at)}`) : null),
    h("td", { class: "actions" }, h("button", {
      type: "button", "data-key": `review-${row.patient_id}`, "aria-label": `Merk gjennomgått: ${row.name}`,
      onclick: () => openDialog(reviewForm(row, async (next) => {
        try {
          await api.post(`/caseload/${row.tenant}/${row.patient_id}/reviewed`, { next_review_on: next });
          announce(`${row.name} er merket gjennomgått; neste gjennomgang ${next}.`);
        } catch (error) {
          if (!(error instanceof ApiError && error.status === 401)) announce(`Kunne ikke lagre: ${String(error)}`);
        }
        await done();
      })),
    }, "Merk gjennomgått")));
}

function reviewForm(row: CaseloadRow, submit: (next: string) => Promise<void>): HTMLDialogElement {
  const next = new Date(Date.now() + NEXT_REVIEW_DAYS * 86_400_000).toISOString().slice(0, 10);
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const date = h("input", { id: "neste", type: "date", required: true, min: tomorrow, value: next }) as HTMLInputElement;
  return formDialog(`Gjennomgått: ${row.name}`, "Lagre", [h("label", { for: "neste" }, "Neste gjennomgang"), date],
    () => submit(date.value));
}
