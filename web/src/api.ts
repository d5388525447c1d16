// The centre API with the user's token. Errors are the API's problem details (RFC 9457); a 401 means the
// session is over and the user logs in again.

import type { User } from "oidc-client-ts";
import type { PageConfig } from "./config";
import { login } from "./auth";

// A questionnaire answer: an option's code, yes/no, an intensity (ESAS-r 0-10) or several codes (pain sites).
export type Answer = string | boolean | number | string[];

export interface Alert {
  tenant: string;
  alert_id: string;
  version: number;
  patient_id: string;
  rule: string;
  severity: "red" | "yellow";
  state: "open" | "acknowledged" | "closed";
  opened_at: string;
  last_evidence_at: string;
  escalation_tier: number;
  acknowledged_by: string | null;
  acknowledged_at: string | null;
  closed_by: string | null;
  closed_at: string | null;
  close_outcome: string | null;
  close_note: string | null;
  snoozed_until: string | null;
}

export interface WorklistRow extends Alert {
  municipality: string;
  patient_name: string | null;
  patient_code: string | null;
  programme: string | null;
}

export interface Worklist {
  rows: WorklistRow[];
  truncated_tenants: string[];
}

export interface Reading {
  series: string;
  measured_at: string;
  value: number | null;
  unit: string | null;
  answers: Record<string, Answer>;
}

export interface Patient {
  tenant: string;
  municipality: string;
  enrolment: {
    patient_id: string; name: string; code: string; programme: string; centre_id: string;
    gp_hpr: string | null; decision_ref: string; start: string; review_on: string;
  };
  open_alerts: Alert[];
  readings: Reading[];
}

export interface Series {
  metric: string;
  unit: string | null;
  points: { measured_at: string; value: number }[];
  trend: { at: string; value: number }[];
  bands: { zone: string; low: number | null; high: number | null }[];
  alerts: { alert_id: string; rule: string; severity: string; opened_at: string; state: string;
            close_outcome: string | null }[];
  answers: { measured_at: string; questionnaire?: string; answers: Record<string, Answer> }[];
  truncated?: boolean;
}

export interface PlanVersions {
  versions: { version: number; changed_by: string; changed_at: string; change_note: string;
              plan: { limits: Record<string, unknown> } }[];
}

export interface Devices {
  devices: { device_id: string; valid_from: string; valid_to: string | null }[];
}

export interface AlertHistory {
  alerts: Alert[];
}

export class ApiError extends Error {
  constructor(readonly status: number, detail: string) {
    super(detail);
  }
}

export class CentreApi {
  private routes: Set<string> | undefined;

  constructor(private readonly config: PageConfig, private readonly user: User) {}

  get(path: string): Promise<unknown> {
    return this.call("GET", path);
  }

  /** A write; ``ifMatch``: the version the user saw (alert actions). */
  post(path: string, body: unknown, ifMatch?: number): Promise<unknown> {
    return this.call("POST", path, body, ifMatch === undefined ? {} : { "If-Match": `"${ifMatch}"` });
  }

  /** The FHIR Bundle as text, for a download. */
  async fhir(path: string): Promise<string> {
    const response = await this.fetch("GET", path);
    return response.text();
  }

  /** Whether the API offers a route (its OpenAPI document lists it): new routes appear without a new page. */
  async offers(method: string, path: string): Promise<boolean> {
    if (!this.routes) {
      const response = await fetch(`${this.config.apiUrl}/openapi.json`);
      const document = response.ok ? ((await response.json()) as { paths?: Record<string, object> }) : {};
      this.routes = new Set(
        Object.entries(document.paths ?? {}).flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m} ${p}`)),
      );
    }
    return this.routes.has(`${method.toLowerCase()} ${path}`);
  }

  private async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await this.fetch(method, path, body, headers);
    return response.json();
  }

  private async fetch(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    if (this.user.expired) {
      await login(this.config);
      throw new ApiError(401, "Økten er utløpt");
    }
    const response = await fetch(`${this.config.apiUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${this.user.access_token}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401) {
      await login(this.config);
      throw new ApiError(401, "Økten er utløpt");
    }
    if (!response.ok) throw new ApiError(response.status, await problemDetail(response));
    return response;
  }
}

async function problemDetail(response: Response): Promise<string> {
  try {
    const problem = (await response.json()) as { detail?: string; title?: string };
    return problem.detail ?? problem.title ?? `HTTP ${response.status}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}
