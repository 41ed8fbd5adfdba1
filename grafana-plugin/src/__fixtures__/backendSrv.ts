import { BackendSrv, BackendSrvRequest, FetchResponse, setBackendSrv } from '@grafana/runtime';
import { Observable, of, throwError } from 'rxjs';

export interface Call {
  method: string;
  url: string;
  params?: Record<string, unknown>;
  data?: unknown;
  responseType?: string;
}

type Responder = (call: Call) => { status?: number; data: unknown; headers?: Record<string, string> };

/**
 * fakeBackendSrv records every request the code under test makes through
 * @grafana/runtime and answers from respond; 4xx/5xx become rejected
 * fetches shaped like Grafana's.
 */
export function fakeBackendSrv(respond: Responder): Call[] {
  const calls: Call[] = [];
  const fetch = (req: BackendSrvRequest): Observable<FetchResponse> => {
    const call: Call = { method: req.method ?? 'GET', url: req.url, params: req.params, data: req.data, responseType: req.responseType };
    calls.push(call);
    const r = respond(call);
    const status = r.status ?? 200;
    const res = {
      data: r.data,
      status,
      statusText: String(status),
      ok: status < 400,
      headers: new Headers(r.headers ?? {}),
      redirected: false,
      type: 'basic',
      url: req.url,
      config: req,
    } as FetchResponse;
    return status < 400 ? of(res) : throwError(() => res);
  };
  setBackendSrv({ fetch } as unknown as BackendSrv);
  return calls;
}
