// Acting on an alert: acknowledge (one click), close (outcome + note) and snooze (when the API offers it).
// Every action sends the version the nurse saw (If-Match); a 409 means someone else acted first.

import { ApiError, type Alert, type CentreApi } from "./api";
import { announce, h } from "./dom";
import { OUTCOMES, RULES, label } from "./format";

const CLOSE_OUTCOMES = ["contacted_patient", "advice_per_plan", "gp_informed", "home_visit", "admitted",
  "false_alarm", "device_problem"];
const SNOOZE_MINUTES = [30, 60, 120, 240];

interface Options {
  snooze: boolean;
  done: () => Promise<void> | void;
}

export function alertActions(alert: Alert, api: CentreApi, options: Options): HTMLElement {
  const what = `${label(RULES, alert.rule)}`;
  const base = `/alerts/${alert.tenant}/${alert.alert_id}`;
  const act = async (path: string, body: unknown, success: string): Promise<void> => {
    try {
      await api.post(`${base}/${path}`, body, alert.version);
      announce(success);
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) announce("Noen andre har endret varselet: listen er lastet på nytt.");
      else if (!(error instanceof ApiError && error.status === 401)) announce(`Handlingen feilet: ${String(error)}`);
    }
    await options.done();
  };
  const buttons = h("div", { class: "buttons" });
  if (alert.state === "open") {
    buttons.append(h("button", {
      type: "button", class: "primary", "data-key": `ack-${alert.alert_id}`,
      "aria-label": `Kvitter: ${what}`,
      onclick: () => act("acknowledge", undefined, "Varselet er kvittert."),
    }, "Kvitter"));
  }
  if (options.snooze) {
    buttons.append(h("button", {
      type: "button", "data-key": `snooze-${alert.alert_id}`, "aria-label": `Utsett: ${what}`,
      onclick: () => openDialog(snoozeForm(what, (minutes, note) => act("snooze", { minutes, note },
        `Varselet er utsatt i ${minutes} minutter.`))),
    }, "Utsett"));
  }
  buttons.append(h("button", {
    type: "button", "data-key": `close-${alert.alert_id}`, "aria-label": `Lukk: ${what}`,
    onclick: () => openDialog(closeForm(what, (outcome, note) => act("close", { outcome, note },
      `Varselet er lukket: ${label(OUTCOMES, outcome)}.`))),
  }, "Lukk"));
  return buttons;
}

export function openDialog(dialog: HTMLDialogElement): void {
  const opener = document.activeElement as HTMLElement | null;
  document.body.append(dialog);
  dialog.addEventListener("close", () => {
    dialog.remove();
    opener?.focus();
  });
  dialog.showModal(); // moves focus into the form; Escape cancels
}

function closeForm(what: string, submit: (outcome: string, note: string) => Promise<void>): HTMLDialogElement {
  const outcome = h("select", { id: "utfall", name: "outcome", required: true },
    h("option", { value: "" }, "Velg utfall …"),
    ...CLOSE_OUTCOMES.map((code) => h("option", { value: code }, label(OUTCOMES, code)))) as HTMLSelectElement;
  const note = h("textarea", { id: "notat", name: "note", rows: 3, maxlength: 2000 }) as HTMLTextAreaElement;
  return formDialog(`Lukk varsel: ${what}`, "Lukk varselet", [
    h("label", { for: "utfall" }, "Utfall"), outcome,
    h("label", { for: "notat" }, "Notat"), note,
  ], () => submit(outcome.value, note.value));
}

function snoozeForm(what: string, submit: (minutes: number, note: string) => Promise<void>): HTMLDialogElement {
  const minutes = h("select", { id: "minutter", name: "minutes" },
    ...SNOOZE_MINUTES.map((m) => h("option", { value: m }, `${m} minutter`))) as HTMLSelectElement;
  const note = h("textarea", { id: "utsett-notat", name: "note", rows: 2, maxlength: 2000 }) as HTMLTextAreaElement;
  return formDialog(`Utsett varsel: ${what}`, "Utsett", [
    h("label", { for: "minutter" }, "Hvor lenge"), minutes,
    h("label", { for: "utsett-notat" }, "Notat"), note,
    h("p", { class: "sub" }, "En forverring bryter gjennom utsettelsen."),
  ], () => submit(Number(minutes.value), note.value));
}

export function formDialog(
  title: string, action: string, fields: HTMLElement[], submit: () => Promise<void>,
): HTMLDialogElement {
  const dialog = h("dialog", { "aria-labelledby": "dialog-tittel" }) as HTMLDialogElement;
  const form = h("form", { method: "dialog" },
    h("h2", { id: "dialog-tittel" }, title), ...fields,
    h("div", { class: "buttons" },
      h("button", { type: "submit", class: "primary" }, action),
      h("button", { type: "button", onclick: () => dialog.close() }, "Avbryt")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!(form as HTMLFormElement).reportValidity()) return;
    dialog.close();
    void submit();
  });
  dialog.append(form);
  return dialog;
}
