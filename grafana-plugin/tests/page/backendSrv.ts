import { BackendSrv, BackendSrvRequest, FetchResponse } from '@grafana/runtime';
import { from, Observable } from 'rxjs';

/**
 * The devserver decides the caller's Grafana role from this header, as
 * Grafana does from the session.
 */
const ROLE_HEADER = 'X-Devserver-Role';

/**
 * PageBackendSrv is the slice of Grafana's BackendSrv a data source uses,
 * on window.fetch: JSON or blob bodies, query params, and Grafana's
 * error shape (a rejected FetchResponse with the parsed body as data).
 */
export class PageBackendSrv {
  constructor(private readonly role: string) {}

  fetch<T>(req: BackendSrvRequest): Observable<FetchResponse<T>> {
    return from(this.send<T>(req));
  }

  async get<T>(url: string): Promise<T> {
    return (await this.send<T>({ url, method: 'GET' })).data;
  }

  async put<T>(url: string, data: unknown): Promise<T> {
    return (await this.send<T>({ url, method: 'PUT', data })).data;
  }

  private async send<T>(req: BackendSrvRequest): Promise<FetchResponse<T>> {
    const url = new URL(req.url, window.location.origin);
    for (const [k, v] of Object.entries(req.params ?? {})) {
      if (v !== undefined && v !== null) {
        url.searchParams.set(k, String(v));
      }
    }
    const headers = new Headers(req.headers ?? {});
    headers.set(ROLE_HEADER, this.role);
    let body: BodyInit | undefined;
    if (req.data !== undefined && req.method !== 'GET') {
      headers.set('Content-Type', 'application/json');
      body = JSON.stringify(req.data);
    }
    const res = await window.fetch(url, { method: req.method ?? 'GET', headers, body });
    const data =
      req.responseType === 'blob' && res.ok ? await res.blob() : await res.text().then((t) => (t ? tryJSON(t) : undefined));
    const out = {
      data,
      status: res.status,
      statusText: res.statusText,
      ok: res.ok,
      headers: res.headers,
      redirected: res.redirected,
      type: res.type,
      url: res.url,
      config: req,
    } as FetchResponse<T>;
    if (!res.ok) {
      throw out;
    }
    return out;
  }
}

function tryJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export const asBackendSrv = (srv: PageBackendSrv) => srv as unknown as BackendSrv;
