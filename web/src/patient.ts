// The patient page: enrolment, open alerts (with actions for a nurse), a trend chart per metric over 7, 30
// or 90 days with the plan's zones, the alert history with outcomes, and the FHIR export.

import { ApiError, type Alert, type CentreApi, type Patient, type Series } from "./api";
import { alertActions } from "./actions";
import { trendChart, describeAnswers } from "./chart";
import { announce, h, replace } from "./dom";
import { label, METRICS, osloTime, OUTCOMES, PROGRAMMES, RULES, SEVERITY, STATES, TIERS } from "./format";

const PERIODS = [7, 30, 90];
const SERIES_ROUTE = "/patients/{tenant}/{patient_id}/series";

export async function showPatient(
  main: HTMLElement, api: CentreApi, tenant: string, patientId: string, canAct: boolean,
): Promise<void> {
  const base = `/patients/${encodeURIComponent(tenant)}/${encodeURIComponent(patientId)}`;
  let patient: Patient;
  try {
    patient = (await api.get(base)) as Patient;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      replace(main, h("h1", {}, "Fant ikke pasienten"),
        h("p", {}, "Pasienten finnes ikke her, eller du har ikke tilgang til pasienten."));
      return;
    }
    throw error;
  }
  const e = patient.enrolment;
  const redraw = () => showPatient(main, api, tenant, patientId, canAct);
  const chartArea = h("section", { "aria-labelledby": "maalinger" });
  replace(main,
    h("h1", {}, `${e.name} `, h("span", { class: "code" }, e.code)),
    h("dl", { class: "facts" },
      ...fact("Kommune", patient.tenant), ...fact("Program", label(PROGRAMMES, e.programme)),
      ...fact("Vedtak", `${e.decision_ref}`), ...fact("Start", e.start), ...fact("Neste gjennomgang", e.review_on),
      ...fact("Fastlege (HPR)", e.gp_hpr ?? "–")),
    h("section", { "aria-labelledby": "aapne" },
      h("h2", { id: "aapne" }, "Åpne varsler"),
      alertTable(patient.open_alerts, canAct ? (alert) => alertActions(alert, api, { snooze: false, done: redraw })
        : undefined)),
    chartArea,
    h("section", { "aria-labelledby": "eksport" },
      h("h2", { id: "eksport" }, "Eksport"),
      h("button", { type: "button", onclick: () => exportFhir(api, base, e.code) }, "Eksporter FHIR (90 dager)")));

  if (await api.offers("GET", SERIES_ROUTE)) {
    const metrics = [...new Set(patient.readings.map((r) => r.series).filter((s) => s in METRICS))];
    chartSection(chartArea, api, base, metrics.length ? metrics : ["spo2"]);
  } else {
    readingsTable(chartArea, patient);
  }
}

function fact(term: string, value: string): HTMLElement[] {
  return [h("dt", {}, term), h("dd", {}, value)];
}

function alertTable(alerts: Alert[], actions?: (alert: Alert) => HTMLElement): HTMLElement {
  if (!alerts.length) return h("p", { class: "empty" }, "Ingen åpne varsler.");
  return h("table", {},
    h("thead", {}, h("tr", {}, ...["Alvorlighet", "Regel", "Åpnet", "Status", "Eskalering",
      ...(actions ? ["Handlinger"] : [])].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, ...alerts.map((alert) => h("tr", { class: `severity-${alert.severity}` },
      h("td", {}, severityBadge(alert.severity)),
      h("td", {}, label(RULES, alert.rule)),
      h("td", {}, osloTime(alert.opened_at)),
      h("td", {}, label(STATES, alert.state)),
      h("td", {}, TIERS[alert.escalation_tier] ?? String(alert.escalation_tier)),
      actions ? h("td", { class: "actions" }, actions(alert)) : null))));
}

function severityBadge(severity: string): HTMLElement {
  const s = SEVERITY[severity] ?? { label: severity, icon: "?" };
  return h("span", { class: `badge badge-${severity}` }, h("span", { "aria-hidden": "true" }, s.icon), ` ${s.label}`);
}

function chartSection(area: HTMLElement, api: CentreApi, base: string, metrics: string[]): void {
  let metric = metrics[0];
  let days = 7;
  const metricSelect = h("select", { id: "maaling" }, ...metrics.map((m) =>
    h("option", { value: m }, label(METRICS, m)))) as HTMLSelectElement;
  const periods = h("fieldset", { class: "periods" }, h("legend", {}, "Periode"),
    ...PERIODS.map((d) => h("label", {}, h("input", { type: "radio", name: "periode", value: d, checked: d === days }),
      ` ${d} dager`)));
  const chart = h("div", { class: "chart-area" });
  const history = h("div", {});
  const draw = async () => {
    const until = new Date();
    const since = new Date(until.getTime() - days * 86_400_000);
    const query = new URLSearchParams({ metric, since: since.toISOString(), until: until.toISOString() });
    try {
      const series = (await api.get(`${base}/series?${query}`)) as Series;
      replace(chart, trendChart(series, since, until));
      replace(history, h("h3", {}, "Varselhistorikk"), historyTable(series),
        h("h3", {}, "Symptomsvar"), answersList(series));
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) announce(`Kunne ikke hente målingene: ${String(error)}`);
    }
  };
  metricSelect.addEventListener("change", () => { metric = metricSelect.value; void draw(); });
  periods.addEventListener("change", (event) => {
    days = Number((event.target as HTMLInputElement).value);
    void draw();
  });
  replace(area, h("h2", { id: "maalinger" }, "Målinger"),
    h("div", { class: "chart-controls" }, h("label", { for: "maaling" }, "Måling"), metricSelect, periods),
    chart, history);
  void draw();
}

function historyTable(series: Series): HTMLElement {
  if (!series.alerts.length) return h("p", { class: "empty" }, "Ingen varsler i perioden.");
  return h("table", { class: "history" },
    h("thead", {}, h("tr", {}, ...["Alvorlighet", "Regel", "Åpnet", "Status", "Utfall"].map((t) =>
      h("th", { scope: "col" }, t)))),
    h("tbody", {}, ...series.alerts.map((a) => h("tr", {},
      h("td", {}, severityBadge(a.severity)), h("td", {}, label(RULES, a.rule)), h("td", {}, osloTime(a.opened_at)),
      h("td", {}, label(STATES, a.state)), h("td", {}, label(OUTCOMES, a.close_outcome))))));
}

function answersList(series: Series): HTMLElement {
  if (!series.answers.length) return h("p", { class: "empty" }, "Ingen symptomsvar i perioden.");
  return h("ul", {}, ...series.answers.map((a) => h("li", {}, `${osloTime(a.measured_at)}: ${describeAnswers(a.answers)}`)));
}

function readingsTable(area: HTMLElement, patient: Patient): void {
  replace(area, h("h2", { id: "maalinger" }, "Siste målinger"),
    patient.readings.length ? h("table", {},
      h("thead", {}, h("tr", {}, ...["Tid", "Måling", "Verdi"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, ...patient.readings.map((r) => h("tr", {},
        h("td", {}, osloTime(r.measured_at)), h("td", {}, label(METRICS, r.series)),
        h("td", {}, r.value === null ? describeAnswers(r.answers) : `${r.value} ${r.unit ?? ""}`)))))
      : h("p", { class: "empty" }, "Ingen målinger."));
}

async function exportFhir(api: CentreApi, base: string, code: string): Promise<void> {
  const until = new Date();
  const since = new Date(until.getTime() - 90 * 86_400_000);
  const query = new URLSearchParams({ since: since.toISOString(), until: until.toISOString() });
  try {
    const bundle = await api.fhir(`${base}/fhir?${query}`);
    const link = h("a", {
      href: URL.createObjectURL(new Blob([bundle], { type: "application/fhir+json" })),
      download: `${code}-fhir.json`,
    });
    link.click();
    announce("FHIR-eksporten er lastet ned.");
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) announce(`Eksporten feilet: ${String(error)}`);
  }
}
