// What the page shows in words: Norwegian labels for the API's codes and times in Europe/Oslo.

export const TIME_ZONE = "Europe/Oslo";

const dateTime = new Intl.DateTimeFormat("nb-NO", {
  timeZone: TIME_ZONE, day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit",
});
const dayMonth = new Intl.DateTimeFormat("nb-NO", { timeZone: TIME_ZONE, day: "numeric", month: "short" });

/** "05.12.2026, 13:04" in Norwegian time (summer time included), whatever the browser's own zone. */
export function osloTime(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : "–";
}

export function osloDay(date: Date): string {
  return dayMonth.format(date);
}

/** How long ago, in minutes, hours or days ("43 min", "5 t", "2 d"). */
export function age(iso: string, now: Date = new Date()): string {
  const minutes = Math.max(0, Math.round((now.getTime() - new Date(iso).getTime()) / 60000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} t` : `${Math.floor(hours / 24)} d`;
}

export const SEVERITY: Record<string, { label: string; icon: string }> = {
  red: { label: "Rød", icon: "▲" },
  yellow: { label: "Gul", icon: "●" },
};

export const RULES: Record<string, string> = {
  spo2_band: "Oksygenmetning utenfor egne grenser",
  heart_rate_band: "Puls utenfor egne grenser",
  respiratory_rate_band: "Pustefrekvens utenfor egne grenser",
  blood_pressure_band: "Blodtrykk utenfor egne grenser",
  temperature_band: "Temperatur utenfor egne grenser",
  glucose_band: "Blodsukker utenfor egne grenser",
  weight_gain: "Vektøkning",
  spo2_below_personal_mean: "Oksygenmetning under eget snitt",
  news2: "NEWS2-skår",
  symptoms: "Symptomer",
  missed_measurements: "Manglende målinger eller skjema",
};

export const PROGRAMMES: Record<string, string> = {
  copd: "KOLS",
  heart_failure: "Hjertesvikt",
  diabetes: "Diabetes",
  cancer: "Kreft",
  mental_health: "Psykisk helse",
};

export const OUTCOMES: Record<string, string> = {
  contacted_patient: "Kontaktet pasienten",
  advice_per_plan: "Råd etter egenbehandlingsplanen",
  gp_informed: "Fastlegen informert",
  home_visit: "Hjemmebesøk",
  admitted: "Innlagt",
  false_alarm: "Falsk alarm",
  device_problem: "Problem med utstyret",
  resolved: "Løst",
  no_action_needed: "Ingen tiltak nødvendig",
  referred: "Henvist videre",
  auto_quiet: "Lukket automatisk (normalisert)",
};

export const STATES: Record<string, string> = { open: "Åpen", acknowledged: "Kvittert", closed: "Lukket" };

export const TIERS = ["Responssenteret", "Sykepleier 2", "Legevakt"];

export const METRICS: Record<string, string> = {
  spo2: "Oksygenmetning",
  heart_rate: "Puls",
  respiratory_rate: "Pustefrekvens",
  systolic_bp: "Systolisk blodtrykk",
  diastolic_bp: "Diastolisk blodtrykk",
  body_weight: "Vekt",
  body_temperature: "Temperatur",
  blood_glucose: "Blodsukker",
};

export const ZONES: Record<string, string> = { green: "Grønn sone", yellow: "Gul sone", red: "Rød sone" };

export function label(table: Record<string, string>, code: string | null | undefined): string {
  if (!code) return "–";
  return table[code] ?? code;
}

export const QUESTIONS: Record<string, string> = {
  breathlessness: "Pustebesvær", sputum_amount: "Slimmengde", sputum_colour: "Slimfarge",
  reliever_use: "Anfallsmedisin", chest_pain: "Brystsmerter", confusion: "Ny forvirring", fever: "Feberfølelse",
  orthopnoea: "Trenger flere puter om natten", ankle_swelling: "Hovne ankler", fatigue: "Tretthet",
  dizziness: "Svimmelhet",
};

export const ANSWERS: Record<string, string> = {
  usual: "som vanlig", more_than_usual: "mer enn vanlig", at_rest: "i hvile", none: "ingen", clear: "klar",
  white: "hvit", yellow: "gul", green: "grønn", blood: "blod",
};
