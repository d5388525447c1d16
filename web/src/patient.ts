// The patient page: enrolment, open alerts (with actions for a nurse), a trend chart per metric over 7, 30
// or 90 days with the plan's zones, the alert history with outcomes, and the FHIR export.

import {
  ApiError, type Alert, type AlertHistory, type CentreApi, type Devices, type Patient, type PlanVersions, type Series,
} from "./api";
import { alertActions } from "./actions";
import { trendChart, describeAnswers } from "./chart";
import { announce, h, replace } from "./dom";
import { label, METRICS, osloTime, OUTCOMES, PROGRAMMES, RULES, SEVERITY, STATES, TIERS } from "./format";

const PERIODS = [7, 30, 90];
const ROUTE = "/patients/{tenant}/{patient_id}";

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
  const records = h("div", {});
  replace(main,
    h("h1", {}, `${e.name} `, h("span", { class: "code" }, e.code)),
    h("dl", { class: "facts" },
      ...fact("Kommune", patient.municipality), ...fact("Program", label(PROGRAMMES, e.programme)),
      ...fact("Vedtak", `${e.decision_ref}`), ...fact("Start", e.start), ...fact("Neste gjennomgang", e.review_on),
      ...fact("Fastlege (HPR)", e.gp_hpr ?? "–")),
    h("section", { "aria-labelledby": "aapne" },
      h("h2", { id: "aapne" }, "Åpne varsler"),
      alertTable(patient.open_alerts, canAct ? (alert) => alertActions(alert, api, { snooze: false, done: redraw })
        : undefined)),
    chartArea,
    records,
    h("section", { "aria-labelledby": "eksport" },
      h("h2", { id: "eksport" }, "Eksport"),
      h("button", { type: "button", onclick: () => exportFhir(api, base, e.code) }, "Eksporter FHIR (90 dager)")));

  // Each part of the record shows once the API offers its route (the OpenAPI document lists it).
  const [hasSeries, hasPlans, hasDevices, hasHistory] = await Promise.all(
    ["/series", "/plans", "/devices", "/alerts"].map((part) => api.offers("GET", `${ROUTE}${part}`)));
  const plans = hasPlans ? ((await api.get(`${base}/plans`)) as PlanVersions) : undefined;
  if (hasSeries) chartSection(chartArea, api, base, monitoredMetrics(patient, plans));
  else readingsTable(chartArea, patient);
  if (hasHistory) records.append(await historySection(api, base));
  if (plans) records.append(plansSection(plans));
  if (hasDevices) records.append(devicesSection((await api.get(`${base}/devices`)) as Devices));
}

/** The metrics the patient has readings of first, then the others the current plan sets limits for. */
function monitoredMetrics(patient: Patient, plans?: PlanVersions): string[] {
  const planned = Object.keys(plans?.versions[0]?.plan.limits ?? {});
  const measured = patient.readings.map((r) => r.series);
  const metrics = [...new Set([...measured, ...planned])].filter((m) => m in METRICS);
  return metrics.length ? metrics : ["spo2"];
}

async function historySection(api: CentreApi, base: string): Promise<HTMLElement> {
  const history = (await api.get(`${base}/alerts`)) as AlertHistory;
  return h("section", { "aria-labelledby": "historikk" },
    h("h2", { id: "historikk" }, "Varselhistorikk (90 dager)"),
    history.alerts.length ? h("table", { class: "history" },
      h("thead", {}, h("tr", {}, ...["Alvorlighet", "Regel", "Åpnet", "Status", "Utfall", "Notat", "Lukket av"]
        .map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, ...history.alerts.map((a) => h("tr", { "data-alert": a.alert_id },
        h("td", {}, severityBadge(a.severity)), h("td", {}, label(RULES, a.rule)), h("td", {}, osloTime(a.opened_at)),
        h("td", {}, label(STATES, a.state)), h("td", {}, label(OUTCOMES, a.close_outcome)),
        h("td", {}, a.close_note ?? "–"),
        h("td", {}, a.closed_by ? `${a.closed_by}, ${osloTime(a.closed_at)}` : "–")))))
      : h("p", { class: "empty" }, "Ingen varsler de siste 90 dagene."));
}

function plansSection(plans: PlanVersions): HTMLElement {
  return h("section", { "aria-labelledby": "planer" },
    h("h2", { id: "planer" }, "Egenbehandlingsplan: versjoner"),
    plans.versions.length ? h("table", {},
      h("thead", {}, h("tr", {}, ...["Versjon", "Endret", "Av", "Hvorfor"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, ...plans.versions.map((v) => h("tr", {},
        h("td", {}, String(v.version)), h("td", {}, osloTime(v.changed_at)),
        h("td", {}, v.changed_by === "template" ? "Programmets mal" : `HPR ${v.changed_by}`),
        h("td", {}, v.change_note || "–")))))
      : h("p", { class: "empty" }, "Ingen plan registrert."));
}

function devicesSection(devices: Devices): HTMLElement {
  return h("section", { "aria-labelledby": "utstyr" },
    h("h2", { id: "utstyr" }, "Utstyr"),
    devices.devices.length ? h("table", {},
      h("thead", {}, h("tr", {}, ...["Enhet", "Fra", "Til"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, ...devices.devices.map((d) => h("tr", {},
        h("td", {}, d.device_id), h("td", {}, osloTime(d.valid_from)),
        h("td", {}, d.valid_to ? osloTime(d.valid_to) : "I bruk nå")))))
      : h("p", { class: "empty" }, "Ingen utstyr registrert."));
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
      replace(history, h("h3", {}, "Varsler i perioden"), seriesAlerts(series),
        h("h3", {}, "Symptomsvar i perioden"), answersList(series));
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

function seriesAlerts(series: Series): HTMLElement {
  if (!series.alerts.length) return h("p", { class: "empty" }, "Ingen varsler for denne målingen i perioden.");
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
