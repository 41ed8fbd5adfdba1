/**
 * Browser test page: mounts the plugin's real DataSource, ConfigEditor,
 * QueryEditor (with its event view and detail drawer) and
 * VariableQueryEditor the way Grafana's pages do, against the devserver,
 * which forwards every call to the real plugin binary.
 */
import React, { useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import {
  CoreApp,
  DataQueryRequest,
  DataSourceInstanceSettings,
  DataSourceSettings,
  dateTime,
  LoadingState,
  PanelData,
  ThemeContext,
  TimeRange,
} from '@grafana/data';
import { config, setBackendSrv, setTemplateSrv, TemplateSrv } from '@grafana/runtime';
import { Alert, Button, GlobalStyles, PortalContainer, Stack } from '@grafana/ui';

import { ConfigEditor } from '../../src/components/ConfigEditor';
import { QueryEditor } from '../../src/components/QueryEditor';
import { VariableQueryEditor } from '../../src/components/VariableQueryEditor';
import { DataSource } from '../../src/datasource';
import { AuditDataSourceOptions, AuditQuery, AuditSecureJsonData, AuditVariableQuery, DEFAULT_QUERY } from '../../src/types';
import { asBackendSrv, PageBackendSrv } from './backendSrv';

type Settings = DataSourceSettings<AuditDataSourceOptions, AuditSecureJsonData>;

const params = new URLSearchParams(window.location.search);
const UID = params.get('uid') ?? 'auditpipe';
const srv = new PageBackendSrv(config.bootData.user.orgRole || 'Admin');
setBackendSrv(asBackendSrv(srv));
// No dashboard variables on this page: interpolation leaves text as typed.
setTemplateSrv({
  replace: (target?: string) => target ?? '',
  getVariables: () => [],
  containsTemplate: () => false,
  updateTimeRange: () => {},
} as unknown as TemplateSrv);

/** The seeded events span the last day; the range leaves room on both sides. */
const range: TimeRange = (() => {
  const to = dateTime().add(1, 'hour');
  const from = dateTime().subtract(2, 'day');
  return { from, to, raw: { from, to } };
})();

function toInstanceSettings(s: Settings): DataSourceInstanceSettings<AuditDataSourceOptions> {
  return {
    id: s.id,
    uid: s.uid,
    type: s.type,
    name: s.name,
    access: 'proxy',
    readOnly: false,
    jsonData: s.jsonData,
    meta: { id: s.type, name: 'auditpipe Audit', type: 'datasource', info: {} },
  } as unknown as DataSourceInstanceSettings<AuditDataSourceOptions>;
}

interface Health {
  status: string;
  message: string;
}

function App() {
  const [settings, setSettings] = useState<Settings>();
  const [ds, setDs] = useState<DataSource>();
  const [health, setHealth] = useState<Health>();
  const [testing, setTesting] = useState(false);
  const [query, setQuery] = useState<AuditQuery>({ refId: 'A', ...DEFAULT_QUERY });
  const [data, setData] = useState<PanelData>();
  const [varQuery, setVarQuery] = useState<AuditVariableQuery>({ field: 'module' });
  const [varValues, setVarValues] = useState<string[]>();

  useEffect(() => {
    srv.get<Settings>(`/api/datasources/uid/${UID}`).then((s) => {
      setSettings(s);
      setDs(new DataSource(toInstanceSettings(s)));
    });
  }, []);

  // Save & test as Grafana's data source page does it: store, then ask the backend for health.
  const saveAndTest = async () => {
    if (!settings) {
      return;
    }
    setTesting(true);
    try {
      const body = { ...settings, url: settings.jsonData.urls?.[0] ?? '' };
      const saved = await srv.put<{ datasource: Settings }>(`/api/datasources/${settings.id}`, body);
      const next = new DataSource(toInstanceSettings(saved.datasource));
      setSettings({ ...saved.datasource, secureJsonData: {} });
      setDs(next);
      const res = await next.testDatasource();
      setHealth({ status: res.status, message: res.message });
    } catch (e) {
      const err = e as { message?: string; data?: { message?: string } };
      setHealth({ status: 'error', message: err.data?.message ?? err.message ?? String(e) });
    } finally {
      setTesting(false);
    }
  };

  const runQuery = useCallback(
    (q: AuditQuery) => {
      if (!ds) {
        return;
      }
      setData({ state: LoadingState.Loading, series: [], timeRange: range });
      const request = {
        requestId: `page-${Date.now()}`,
        interval: '1m',
        intervalMs: 60000,
        maxDataPoints: 500,
        range,
        scopedVars: {},
        targets: [q],
        timezone: 'utc',
        app: CoreApp.Explore,
        startTime: Date.now(),
      } as DataQueryRequest<AuditQuery>;
      ds.query(request).subscribe((res) =>
        setData({ state: LoadingState.Done, series: res.data, errors: res.errors, timeRange: range })
      );
    },
    [ds]
  );

  if (!settings || !ds) {
    return <p>Loading data source…</p>;
  }
  const rows = data?.series.reduce((n, f) => n + f.length, 0) ?? 0;
  return (
    <main style={{ padding: 16, display: 'flex', flexDirection: 'column', gap: 24, maxWidth: 1200 }}>
      <section aria-label="Configuration" data-testid="config-section">
        <h2>Data source settings</h2>
        <ConfigEditor options={settings} onOptionsChange={setSettings} />
        <Stack gap={1} alignItems="center">
          <Button onClick={saveAndTest} disabled={testing}>
            Save &amp; test
          </Button>
        </Stack>
        {health && (
          <div aria-label="Health" data-status={health.status} style={{ marginTop: 8 }}>
            <Alert severity={health.status === 'success' ? 'success' : 'error'} title={health.message} />
          </div>
        )}
      </section>

      <section aria-label="Query" data-testid="query-section">
        <h2>Query</h2>
        <QueryEditor
          datasource={ds}
          query={query}
          range={range}
          data={data}
          app={CoreApp.Explore}
          onChange={setQuery}
          onRunQuery={() => setQuery((q) => (runQuery(q), q))}
        />
        <Stack gap={1} alignItems="center">
          <Button variant="primary" icon="play" onClick={() => runQuery(query)}>
            Run query
          </Button>
          <output aria-label="Result summary" data-state={data?.state ?? 'none'} data-rows={rows}>
            {data ? `${data.series.length} frame(s), ${rows} row(s)` : 'not run'}
            {data?.errors?.map((e) => ` error: ${e.message}`)}
          </output>
        </Stack>
      </section>

      <section aria-label="Variable" data-testid="variable-section">
        <h2>Template variable</h2>
        <VariableQueryEditor query={varQuery} onChange={(q) => setVarQuery(q)} />
        <Button
          variant="secondary"
          onClick={async () => setVarValues((await ds.metricFindQuery(varQuery, { range })).map((v) => String(v.text)))}
        >
          Preview values
        </Button>
        {varValues && <output aria-label="Variable values">{varValues.join(', ')}</output>}
      </section>
    </main>
  );
}

createRoot(document.getElementById('root')!).render(
  <ThemeContext.Provider value={config.theme2}>
    <GlobalStyles />
    <App />
    <PortalContainer />
  </ThemeContext.Provider>
);
