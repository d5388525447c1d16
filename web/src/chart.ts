// A metric's trend over a period as inline SVG: the plan's zones shaded behind the readings, the scoring's
// trend as a dashed line, alerts as marked vertical lines, symptom answers as marks on the same time axis.
// Colours only repeat what the text says: every zone, alert and answer also has a label and a title.

import type { Answer, Series } from "./api";
import { h, svg } from "./dom";
import { ANSWERS, label, METRICS, osloDay, osloTime, QUESTIONS, SEVERITY, ZONES } from "./format";

const WIDTH = 760;
const HEIGHT = 280;
const MARGIN = { left: 48, right: 16, top: 16, bottom: 56 };
const ANSWER_ROW = HEIGHT - 22; // the symptom answers' lane, under the time axis

export function trendChart(series: Series, since: Date, until: Date): HTMLElement {
  const values = [...series.points.map((p) => p.value), ...series.trend.map((t) => t.value),
    ...series.bands.flatMap((b) => [b.low, b.high]).filter((v): v is number => v !== null)];
  const [low, high] = padded(values.length ? Math.min(...values) : 0, values.length ? Math.max(...values) : 1);
  const x = (iso: string | Date) => MARGIN.left + (WIDTH - MARGIN.left - MARGIN.right)
    * ((new Date(iso).getTime() - since.getTime()) / (until.getTime() - since.getTime()));
  const y = (value: number) => MARGIN.top + (HEIGHT - MARGIN.top - MARGIN.bottom) * (high - value) / (high - low);
  const top = MARGIN.top;
  const bottom = HEIGHT - MARGIN.bottom;
  const name = label(METRICS, series.metric);

  const bands = series.bands.map((band) => {
    const y1 = y(Math.min(band.high ?? high, high));
    const y2 = y(Math.max(band.low ?? low, low));
    return svg("rect", { class: `band band-${band.zone}`, x: MARGIN.left, y: y1, width: WIDTH - MARGIN.left
      - MARGIN.right, height: Math.max(0, y2 - y1), "data-zone": band.zone },
    svg("title", {}, `${label(ZONES, band.zone)}: ${band.low ?? "…"}–${band.high ?? "…"} ${series.unit ?? ""}`));
  });
  const yTicks = ticks(low, high).map((value) => svg("g", { class: "tick" },
    svg("line", { x1: MARGIN.left - 4, x2: MARGIN.left, y1: y(value), y2: y(value) }),
    svg("text", { x: MARGIN.left - 6, y: y(value) + 4, "text-anchor": "end" }, format(value))));
  const days = dayTicks(since, until).map((day) => svg("g", { class: "tick" },
    svg("line", { x1: x(day), x2: x(day), y1: bottom, y2: bottom + 4 }),
    svg("text", { x: x(day), y: bottom + 16, "text-anchor": "middle" }, osloDay(day))));
  const line = (points: { at: string; value: number }[], cls: string) => points.length
    ? svg("polyline", { class: cls, points: points.map((p) => `${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ") })
    : null;
  const readings = series.points.map((p) => ({ at: p.measured_at, value: p.value }));
  const dots = series.points.map((p) => svg("circle", { class: "reading", cx: x(p.measured_at), cy: y(p.value), r: 2.5 },
    svg("title", {}, `${osloTime(p.measured_at)}: ${format(p.value)} ${series.unit ?? ""}`)));
  const alerts = series.alerts.map((alert) => {
    const severity = SEVERITY[alert.severity] ?? { label: alert.severity, icon: "?" };
    return svg("g", { class: `alert-mark severity-${alert.severity}`, "data-alert": alert.alert_id },
      svg("line", { x1: x(alert.opened_at), x2: x(alert.opened_at), y1: top, y2: bottom }),
      svg("text", { x: x(alert.opened_at), y: top + 10, "text-anchor": "middle" }, severity.icon),
      svg("title", {}, `${severity.label} varsel ${osloTime(alert.opened_at)}`));
  });
  const answers = series.answers.map((answer) => svg("g", { class: "answer-mark" },
    svg("rect", { x: x(answer.measured_at) - 3, y: ANSWER_ROW - 3, width: 6, height: 6 }),
    svg("title", {}, `${osloTime(answer.measured_at)}: ${describeAnswers(answer.answers)}`)));

  const summary = `${name} ${osloTime(since.toISOString())} til ${osloTime(until.toISOString())}: `
    + `${series.points.length} målinger, ${series.alerts.length} varsler, ${series.answers.length} symptomsvar.`;
  return h("figure", { class: "chart" },
    svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": summary },
      svg("g", { class: "bands" }, ...bands),
      svg("line", { class: "axis", x1: MARGIN.left, x2: MARGIN.left, y1: top, y2: bottom }),
      svg("line", { class: "axis", x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: bottom, y2: bottom }),
      ...yTicks, ...days,
      line(series.trend, "trend"), line(readings, "readings"), ...dots,
      svg("g", { class: "alerts" }, ...alerts),
      svg("text", { class: "lane-label", x: MARGIN.left - 6, y: ANSWER_ROW + 4, "text-anchor": "end" }, "Svar"),
      svg("g", { class: "answers" }, ...answers)),
    h("figcaption", {}, summary, " ",
      h("span", { class: "legend" }, ...series.bands.map((b) => h("span", { class: `key key-${b.zone}` },
        `${label(ZONES, b.zone)} ${b.low ?? "…"}–${b.high ?? "…"}`)),
      h("span", { class: "key key-trend" }, "Stiplet linje: trend"),
      h("span", { class: "key" }, "▲ rødt varsel, ● gult varsel"))));
}

export function describeAnswers(answers: Record<string, Answer>): string {
  return Object.entries(answers).map(([question, answer]) => `${label(QUESTIONS, question)}: ${describe(answer)}`)
    .join(", ") || "–";
}

function describe(answer: Answer): string {
  if (answer === true) return "ja";
  if (answer === false) return "nei";
  if (typeof answer === "number") return String(answer);
  if (Array.isArray(answer)) return answer.map((code) => label(ANSWERS, code)).join(" og ");
  return label(ANSWERS, answer);
}

function padded(low: number, high: number): [number, number] {
  const span = high - low || Math.abs(high) || 1;
  return [low - span * 0.1, high + span * 0.1];
}

function ticks(low: number, high: number): number[] {
  const step = niceStep((high - low) / 4);
  const found: number[] = [];
  for (let value = Math.ceil(low / step) * step; value <= high; value += step) found.push(value);
  return found;
}

function niceStep(raw: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const scaled = raw / magnitude;
  return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * magnitude;
}

function dayTicks(since: Date, until: Date): Date[] {
  const days = (until.getTime() - since.getTime()) / 86_400_000;
  const every = days <= 8 ? 1 : days <= 31 ? 5 : 15;
  const found: Date[] = [];
  for (let t = since.getTime(); t <= until.getTime(); t += every * 86_400_000) found.push(new Date(t));
  return found;
}

function format(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}
