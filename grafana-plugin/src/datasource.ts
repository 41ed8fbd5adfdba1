import {
  AdHocVariableFilter,
  CoreApp,
  DataFrame,
  DataQueryRequest,
  DataQueryResponse,
  DataSourceGetTagValuesOptions,
  DataSourceInstanceSettings,
  LegacyMetricFindQueryOptions,
  LiveChannelScope,
  MetricFindValue,
  ScopedVars,
  TimeRange,
} from '@grafana/data';
import { config, DataSourceWithBackend, getBackendSrv, getGrafanaLiveSrv, getTemplateSrv, TemplateSrv } from '@grafana/runtime';
import { lastValueFrom, merge, Observable, of } from 'rxjs';

import { framesToAnnotations } from './annotations';
import {
  AuditDataSourceOptions,
  AuditFilter,
  AuditQuery,
  AuditVariableQuery,
  DEFAULT_QUERY,
  EventDetails,
  ExportedFile,
  ExportFormat,
  FieldValue,
  FILTER_FIELDS,
  FilterField,
} from './types';

/**
 * Separates the values of a multi-value template variable while interpolating
 * a filter value, so `$actor` selecting two actors becomes two filter values.
 * A unit separator cannot occur in a typed value.
 */
const MULTI_VALUE_SEPARATOR = '\u001f';

export const EXPORT_EXTENSIONS: Record<ExportFormat, string> = {
  csv: 'csv',
  xlsx: 'xlsx',
  json: 'json',
  ndjson: 'ndjson',
};

export class DataSource extends DataSourceWithBackend<AuditQuery, AuditDataSourceOptions> {
  readonly jsonData: AuditDataSourceOptions;

  constructor(
    instanceSettings: DataSourceInstanceSettings<AuditDataSourceOptions>,
    private readonly templateSrv: TemplateSrv = getTemplateSrv()
  ) {
    super(instanceSettings);
    this.jsonData = instanceSettings.jsonData ?? {};
    this.annotations = {
      getDefaultQuery: () => ({ ...DEFAULT_QUERY, limit: 500 }),
      processEvents: (_anno, frames: DataFrame[]) => of(framesToAnnotations(frames)),
    };
  }

  getDefaultQuery(_app: CoreApp): Partial<AuditQuery> {
    return DEFAULT_QUERY;
  }

  filterQuery(query: AuditQuery): boolean {
    return !query.hide;
  }

  /**
   * Search queries tail new events over Grafana Live (the backend's
   * RunStream) in Explore's live mode, and when the query sets `live` (the
   * dashboard's live tail panel), where the latest page is shown first.
   */
  query(request: DataQueryRequest<AuditQuery>): Observable<DataQueryResponse> {
    const tails = request.targets.filter(
      (q) => !q.hide && (q.queryType ?? 'search') === 'search' && (request.liveStreaming || q.live)
    );
    if (tails.length === 0) {
      return super.query(request);
    }
    const streams = tails.map((q) => this.tail(this.applyTemplateVariables(q, request.scopedVars, request.filters)));
    // Explore's live mode shows only what arrives, as it does for Loki.
    const pages = request.liveStreaming ? request.targets.filter((q) => !tails.includes(q)) : request.targets;
    return pages.length > 0 ? merge(super.query({ ...request, targets: pages }), ...streams) : merge(...streams);
  }

  private tail(query: AuditQuery): Observable<DataQueryResponse> {
    // The channel data is the query alone, so equal queries share a channel.
    const wire: Partial<AuditQuery> = { ...query };
    for (const k of ['refId', 'hide', 'key', 'datasource', 'live'] as const) {
      delete wire[k];
    }
    return getGrafanaLiveSrv().getDataStream({
      key: `${query.refId}-tail`,
      addr: {
        scope: LiveChannelScope.DataSource,
        stream: this.uid,
        path: tailChannelPath(config.bootData?.user?.orgRole, wire),
        data: wire,
      },
      buffer: { maxLength: query.limit ?? DEFAULT_QUERY.limit },
    });
  }

  applyTemplateVariables(query: AuditQuery, scopedVars: ScopedVars, adhoc?: AdHocVariableFilter[]): AuditQuery {
    const replace = (s: string | undefined) => (s === undefined ? undefined : this.templateSrv.replace(s, scopedVars));
    const filters = (query.filters ?? [])
      .map((f) => ({ ...f, values: this.interpolateValues(f.values, scopedVars) }))
      .filter((f) => f.values.length > 0)
      .concat(adhocToFilters(adhoc ?? []));
    return {
      ...query,
      query: this.templateSrv.replace(query.query ?? '', scopedVars, 'lucene'),
      filters,
      splitBy: replace(query.splitBy) as FilterField | undefined,
      facetField: replace(query.facetField) as FilterField | undefined,
      interval: replace(query.interval),
    };
  }

  private interpolateValues(values: string[], scopedVars: ScopedVars): string[] {
    return values
      .flatMap((v) =>
        this.templateSrv
          .replace(v, scopedVars, (val: string | string[]) =>
            Array.isArray(val) ? val.join(MULTI_VALUE_SEPARATOR) : val
          )
          .split(MULTI_VALUE_SEPARATOR)
      )
      .map((v) => v.trim())
      .filter((v) => v !== '');
  }

  /** Values of one field, most frequent first, from the backend's field-values resource. */
  async getFieldValues(field: FilterField, prefix = '', range?: TimeRange): Promise<FieldValue[]> {
    const params: Record<string, string | number> = { prefix };
    if (range) {
      params.from = range.from.valueOf();
      params.to = range.to.valueOf();
    }
    const res = await this.getResource<{ values?: FieldValue[] }>(
      `fields/${encodeURIComponent(field)}/values`,
      params
    );
    return res?.values ?? [];
  }

  async metricFindQuery(
    query: AuditVariableQuery | string,
    options?: LegacyMetricFindQueryOptions
  ): Promise<MetricFindValue[]> {
    const q: AuditVariableQuery = typeof query === 'string' ? { field: query as FilterField } : query;
    if (!q?.field) {
      return [];
    }
    const field = this.templateSrv.replace(q.field, options?.scopedVars) as FilterField;
    const prefix = this.templateSrv.replace(q.prefix ?? '', options?.scopedVars);
    const values = await this.getFieldValues(field, prefix, options?.range);
    return values.map((v) => ({ text: v.value, value: v.value }));
  }

  async getTagKeys(): Promise<MetricFindValue[]> {
    return FILTER_FIELDS.map((f) => ({ text: f, value: f }));
  }

  async getTagValues(options: DataSourceGetTagValuesOptions<AuditQuery>): Promise<MetricFindValue[]> {
    if (!isFilterField(options.key)) {
      return [];
    }
    const values = await this.getFieldValues(options.key, '', options.timeRange);
    return values.map((v) => ({ text: v.value, value: v.value }));
  }

  getEvent(id: string): Promise<EventDetails> {
    return this.getResource<EventDetails>(`events/${encodeURIComponent(id)}`);
  }

  addComment(id: string, comment: string, tags: string[]): Promise<{ id: string }> {
    return this.postResource<{ id: string }>(`events/${encodeURIComponent(id)}/annotations`, { comment, tags });
  }

  /**
   * exportEvents streams every event the query matches in range as a file.
   * The query is interpolated like a panel query, so the file holds exactly
   * what the panel shows, without the panel's page-size limit.
   */
  async exportEvents(
    query: AuditQuery,
    range: TimeRange,
    format: ExportFormat,
    scopedVars: ScopedVars = {}
  ): Promise<ExportedFile> {
    const res = await lastValueFrom(
      getBackendSrv().fetch<Blob>({
        method: 'POST',
        url: this.buildResourcesDatasourceUrl('export'),
        params: { format },
        headers: this.getRequestHeaders(),
        responseType: 'blob',
        data: {
          query: this.applyTemplateVariables(query, scopedVars),
          from: range.from.valueOf(),
          to: range.to.valueOf(),
        },
      })
    );
    const fallback = `audit-events.${EXPORT_EXTENSIONS[format]}`;
    return { blob: res.data, filename: filenameFromDisposition(res.headers?.get('content-disposition')) ?? fallback };
  }
}

/**
 * tailChannelPath names the live channel of a query: `tail/<role>/<hash>`.
 * Grafana shares one backend stream per channel, so the backend masks by the
 * role in the path and admits only users of that role; the hash gives each
 * query its own channel.
 */
export function tailChannelPath(orgRole: string | undefined, query: object): string {
  return `tail/${orgRole || 'Viewer'}/${hash53(JSON.stringify(query))}`;
}

/** hash53 is cyrb53: a fast 53-bit string hash, as base 36. */
function hash53(s: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

export function isFilterField(s: string): s is FilterField {
  return (FILTER_FIELDS as readonly string[]).includes(s);
}

/** Ad hoc filters on our field names become backend filters; other keys cannot be honoured and are dropped. */
function adhocToFilters(adhoc: AdHocVariableFilter[]): AuditFilter[] {
  return adhoc
    .filter((f) => isFilterField(f.key) && (f.operator === '=' || f.operator === '!='))
    .map((f) => ({ field: f.key as FilterField, op: f.operator === '=' ? 'eq' : 'neq', values: [f.value] }));
}

export function filenameFromDisposition(header: string | null | undefined): string | undefined {
  if (!header) {
    return undefined;
  }
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  if (star) {
    return decodeURIComponent(star[1]);
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(header);
  return plain ? plain[1] : undefined;
}
