import { DataSourceJsonData } from '@grafana/data';
import { DataQuery } from '@grafana/schema';

/** The query model shared with the Go backend (pkg/models); field names are the wire format. */
export type QueryType = 'search' | 'timeline' | 'facets' | 'stats';

export const FILTER_FIELDS = [
  'actor',
  'module',
  'action',
  'category',
  'severity',
  'outcome',
  'ip',
  'target',
  'tags',
  'changed_field',
  'tenant',
] as const;
export type FilterField = (typeof FILTER_FIELDS)[number];

export type FilterOp = 'eq' | 'neq';

export interface AuditFilter {
  field: FilterField;
  op: FilterOp;
  values: string[];
}

export type StatKind = 'count' | 'actors' | 'failures' | 'critical';

export interface AuditQuery extends DataQuery {
  queryType?: QueryType;
  query?: string;
  filters?: AuditFilter[];
  splitBy?: FilterField;
  interval?: string;
  facetField?: FilterField;
  size?: number;
  stat?: StatKind;
  sort?: 'desc' | 'asc';
  limit?: number;
  /** search only: keep streaming new events over Grafana Live after the first page. */
  live?: boolean;
}

export const DEFAULT_QUERY: Partial<AuditQuery> = {
  queryType: 'search',
  query: '',
  filters: [],
  sort: 'desc',
  limit: 100,
};

export const MAX_SEARCH_LIMIT = 1000;

export type AuthType = 'none' | 'basic' | 'apiKey';
export type GrafanaRole = 'Viewer' | 'Editor' | 'Admin';

export interface AuditDataSourceOptions extends DataSourceJsonData {
  urls?: string[];
  authType?: AuthType;
  username?: string;
  tlsSkipVerify?: boolean;
  /** True when a CA certificate is stored in secureJsonData.tlsCACert. */
  tlsCACert?: boolean;
  index?: string;
  annotationsIndex?: string;
  exportMaxRows?: number;
  exportRole?: GrafanaRole;
  unmaskRole?: GrafanaRole;
  annotateRole?: GrafanaRole;
  selfAuditEndpoint?: string;
}

export interface AuditSecureJsonData {
  password?: string;
  apiKey?: string;
  tlsCACert?: string;
}

/** What a template variable of this data source lists: the values of one field. */
export interface AuditVariableQuery {
  field: FilterField;
  prefix?: string;
}

export interface FieldValue {
  value: string;
  count: number;
}

/** semconv.Event as the backend's events/{id} resource returns it. */
export interface AuditEvent {
  id: string;
  timestamp: string;
  action: string;
  category?: string;
  outcome: string;
  severity?: string;
  actor_id: string;
  actor_name?: string;
  actor_type?: string;
  actor_roles?: string[];
  module: string;
  target_type?: string;
  target_id?: string;
  old_value?: string;
  new_value?: string;
  change_fields?: string[];
  change_diff?: string;
  comment?: string;
  tags?: string[];
  client_address?: string;
  user_agent?: string;
  session_id?: string;
  request_id?: string;
  tenant?: string;
  source_service?: string;
  body?: string;
  redacted_fields?: string[];
  validation_error?: string;
  ingest_principal?: string;
  chain_stream?: string;
  chain_seq?: number;
  chain_hash?: string;
}

export interface EventAnnotation {
  id: string;
  time: string | number;
  user: string;
  comment: string;
  tags?: string[];
}

export type ChainStatus = 'verified' | 'broken' | 'unchained' | 'unknown';

export interface EventDetails {
  event: AuditEvent;
  annotations: EventAnnotation[];
  chain: { status: ChainStatus; detail?: string };
  masked: boolean;
}

export type ExportFormat = 'csv' | 'xlsx' | 'json' | 'ndjson';

export interface ExportedFile {
  blob: Blob;
  filename: string;
}
