import { DataSourceInstanceSettings, ScopedVars } from '@grafana/data';
import { TemplateSrv } from '@grafana/runtime';

import { DataSource } from '../datasource';
import { AuditDataSourceOptions } from '../types';

export const instanceSettings = (jsonData: AuditDataSourceOptions = {}): DataSourceInstanceSettings<AuditDataSourceOptions> =>
  ({
    id: 1,
    uid: 'audit',
    type: 'auditpipe-audit-datasource',
    name: 'Audit',
    access: 'proxy',
    readOnly: false,
    jsonData,
    meta: { id: 'auditpipe-audit-datasource' },
  }) as unknown as DataSourceInstanceSettings<AuditDataSourceOptions>;

/** templateSrv stands in for Grafana's: `$name` takes vars[name], arrays go through format. */
export function fakeTemplateSrv(vars: Record<string, string | string[]> = {}): TemplateSrv {
  return {
    replace: (target?: string, _scoped?: ScopedVars, format?: string | Function) =>
      (target ?? '').replace(/\$(\w+)/g, (m, name: string) => {
        const v = vars[name];
        if (v === undefined) {
          return m;
        }
        if (typeof format === 'function') {
          return format(v);
        }
        return Array.isArray(v) ? `(${v.join(' OR ')})` : v;
      }),
  } as unknown as TemplateSrv;
}

export const newDataSource = (jsonData: AuditDataSourceOptions = {}, vars: Record<string, string | string[]> = {}) =>
  new DataSource(instanceSettings(jsonData), fakeTemplateSrv(vars));
