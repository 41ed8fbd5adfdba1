import { dateTime, DataQueryRequest, FieldType, createDataFrame, LiveChannelScope, OrgRole, TimeRange } from '@grafana/data';
import { config, GrafanaLiveSrv, LiveDataStreamOptions, setGrafanaLiveSrv } from '@grafana/runtime';
import { lastValueFrom, of } from 'rxjs';

import { fakeBackendSrv } from './__fixtures__/backendSrv';
import { newDataSource } from './__fixtures__/datasource';
import { filenameFromDisposition, tailChannelPath } from './datasource';
import { AuditQuery } from './types';

const range: TimeRange = {
  from: dateTime(1_700_000_000_000),
  to: dateTime(1_700_000_360_000),
  raw: { from: 'now-1h', to: 'now' },
};

describe('DataSource.applyTemplateVariables', () => {
  it('interpolates the Lucene text and expands multi-value variables into filter values', () => {
    const ds = newDataSource({}, { actor: ['emp-1', 'emp-2'], mod: 'bonus', empty: '' });
    const q: AuditQuery = {
      refId: 'A',
      queryType: 'search',
      query: 'module:$mod',
      filters: [
        { field: 'actor', op: 'eq', values: ['$actor'] },
        { field: 'module', op: 'neq', values: ['$mod', 'kyc'] },
        { field: 'tags', op: 'eq', values: ['$empty'] },
      ],
    };
    const out = ds.applyTemplateVariables(q, {}, [
      { key: 'outcome', operator: '!=', value: 'success' },
      { key: 'not_a_field', operator: '=', value: 'x' },
      { key: 'module', operator: '=~', value: 'b.*' },
    ]);
    expect(out.query).toBe('module:bonus');
    expect(out.filters).toEqual([
      { field: 'actor', op: 'eq', values: ['emp-1', 'emp-2'] },
      { field: 'module', op: 'neq', values: ['bonus', 'kyc'] },
      { field: 'outcome', op: 'neq', values: ['success'] },
    ]);
  });
});

describe('DataSource resources', () => {
  it('asks the field-values resource for suggestions and variable values', async () => {
    const calls = fakeBackendSrv(() => ({ data: { values: [{ value: 'emp-1', count: 3 }, { value: 'emp-2', count: 1 }] } }));
    const ds = newDataSource({}, { who: 'actor' });
    const found = await ds.metricFindQuery({ field: '$who' as 'actor', prefix: 'emp' }, { range });
    expect(found).toEqual([
      { text: 'emp-1', value: 'emp-1' },
      { text: 'emp-2', value: 'emp-2' },
    ]);
    expect(calls[0]).toMatchObject({
      method: 'GET',
      url: '/api/datasources/uid/audit/resources/fields/actor/values',
      params: { prefix: 'emp', from: 1_700_000_000_000, to: 1_700_000_360_000 },
    });
  });

  it('offers the filter fields as ad hoc keys and their values as ad hoc values', async () => {
    fakeBackendSrv(() => ({ data: { values: [{ value: 'kyc', count: 9 }] } }));
    const ds = newDataSource();
    expect((await ds.getTagKeys()).map((k) => k.text)).toContain('ip');
    expect(await ds.getTagValues({ key: 'module', filters: [] })).toEqual([{ text: 'kyc', value: 'kyc' }]);
    expect(await ds.getTagValues({ key: 'nope', filters: [] })).toEqual([]);
  });

  it('posts comments to the event annotations resource', async () => {
    const calls = fakeBackendSrv(() => ({ status: 201, data: { id: 'c9' } }));
    await expect(newDataSource().addComment('evt/1', 'looked at it', ['ok'])).resolves.toEqual({ id: 'c9' });
    expect(calls[0]).toMatchObject({
      method: 'POST',
      url: '/api/datasources/uid/audit/resources/events/evt%2F1/annotations',
      data: { comment: 'looked at it', tags: ['ok'] },
    });
  });

  it('exports the interpolated query as a blob named by Content-Disposition', async () => {
    const blob = new Blob(['timestamp,id\n'], { type: 'text/csv' });
    const calls = fakeBackendSrv(() => ({
      data: blob,
      headers: { 'Content-Disposition': 'attachment; filename="audit-20261120.csv"' },
    }));
    const ds = newDataSource({}, { mod: 'bonus' });
    const file = await ds.exportEvents({ refId: 'A', query: 'module:$mod', filters: [] }, range, 'csv');
    expect(file.filename).toBe('audit-20261120.csv');
    expect(file.blob).toBe(blob);
    expect(calls[0]).toMatchObject({
      method: 'POST',
      url: '/api/datasources/uid/audit/resources/export',
      params: { format: 'csv' },
      responseType: 'blob',
      data: { query: { query: 'module:bonus' }, from: 1_700_000_000_000, to: 1_700_000_360_000 },
    });
  });
});

describe('filenameFromDisposition', () => {
  it('prefers the RFC 5987 form and falls back to the plain one', () => {
    expect(filenameFromDisposition("attachment; filename=\"a.csv\"; filename*=UTF-8''b%20c.csv")).toBe('b c.csv');
    expect(filenameFromDisposition('attachment; filename=a.xlsx')).toBe('a.xlsx');
    expect(filenameFromDisposition(null)).toBeUndefined();
  });
});

describe('annotations', () => {
  it('turns search frames into annotation events with tags from labels', async () => {
    const frame = createDataFrame({
      fields: [
        { name: 'timestamp', type: FieldType.time, values: [1000] },
        { name: 'body', type: FieldType.string, values: ['Dana changed a limit'] },
        { name: 'id', type: FieldType.string, values: ['evt-1'] },
        { name: 'labels', type: FieldType.other, values: [{ module: 'limits', action: 'limit.change', outcome: 'success' }] },
        { name: 'action', type: FieldType.string, values: ['limit.change'] },
        { name: 'tags', type: FieldType.string, values: ['vip, reviewed'] },
      ],
    });
    const ds = newDataSource();
    const events = await lastValueFrom(ds.annotations!.processEvents!({} as never, [frame]));
    expect(events).toEqual([
      {
        time: 1000,
        title: 'limit.change',
        text: 'Dana changed a limit',
        id: 'evt-1',
        tags: ['module:limits', 'action:limit.change', 'outcome:success', 'vip', 'reviewed'],
      },
    ]);
  });
});

describe('live tail', () => {
  let streams: LiveDataStreamOptions[];
  beforeEach(() => {
    streams = [];
    setGrafanaLiveSrv({
      getDataStream: (options: LiveDataStreamOptions) => {
        streams.push(options);
        return of({ key: options.key, data: [] });
      },
    } as unknown as GrafanaLiveSrv);
    config.bootData.user = { ...config.bootData.user, orgRole: OrgRole.Editor };
  });

  const request = (targets: AuditQuery[], extra: Partial<DataQueryRequest<AuditQuery>> = {}) =>
    ({
      targets,
      range,
      scopedVars: {},
      filters: [{ key: 'module', operator: '=', value: 'bonuses' }],
      interval: '1m',
      intervalMs: 60000,
      requestId: 'r1',
      app: 'explore',
      ...extra,
    }) as unknown as DataQueryRequest<AuditQuery>;

  it('streams search queries in Explore live mode over a role-bound channel, other queries as usual', async () => {
    const calls = fakeBackendSrv(() => ({ data: { results: {} } }));
    const ds = newDataSource({}, { mod: 'kyc' });
    const search: AuditQuery = { refId: 'A', queryType: 'search', query: 'module:$mod', limit: 50 };
    const timeline: AuditQuery = { refId: 'B', queryType: 'timeline' };
    await lastValueFrom(ds.query(request([search, timeline], { liveStreaming: true })));

    expect(streams).toHaveLength(1);
    const { addr, key, buffer } = streams[0];
    expect(key).toBe('A-tail');
    expect(buffer?.maxLength).toBe(50);
    expect(addr.scope).toBe(LiveChannelScope.DataSource);
    expect(addr.stream).toBe('audit');
    expect(addr.path).toMatch(/^tail\/Editor\/[0-9a-z]+$/);
    expect(addr.data).toEqual({
      queryType: 'search',
      query: 'module:kyc',
      limit: 50,
      filters: [{ field: 'module', op: 'eq', values: ['bonuses'] }],
      splitBy: undefined,
      facetField: undefined,
      interval: undefined,
    });
    // Only the timeline goes to /api/ds/query.
    expect(calls).toHaveLength(1);
    expect((calls[0].data as { queries: AuditQuery[] }).queries.map((q) => q.refId)).toEqual(['B']);
  });

  it('shows the latest page and then streams a query marked live outside Explore', async () => {
    const calls = fakeBackendSrv(() => ({ data: { results: {} } }));
    const ds = newDataSource();
    await lastValueFrom(ds.query(request([{ refId: 'A', queryType: 'search', live: true }], { app: 'dashboard' })));
    expect(streams).toHaveLength(1);
    expect((calls[0].data as { queries: AuditQuery[] }).queries.map((q) => q.refId)).toEqual(['A']);
  });

  it('does not stream otherwise', async () => {
    const calls = fakeBackendSrv(() => ({ data: { results: {} } }));
    const ds = newDataSource();
    await lastValueFrom(ds.query(request([{ refId: 'A', queryType: 'search' }])));
    expect(streams).toHaveLength(0);
    expect(calls).toHaveLength(1);
  });

  it('names one channel per query and role', () => {
    const q = { queryType: 'search', query: 'outcome:failure' };
    expect(tailChannelPath('Viewer', q)).toBe(tailChannelPath('Viewer', { ...q }));
    expect(tailChannelPath('Editor', q).split('/')[1]).toBe('Editor');
    expect(tailChannelPath('Viewer', q).split('/')[2]).not.toBe(tailChannelPath('Viewer', { ...q, query: 'outcome:success' }).split('/')[2]);
    expect(tailChannelPath(undefined, q)).toMatch(/^tail\/Viewer\//);
  });
});
