import React, { useState } from 'react';
import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createDataFrame, dateTime, FieldType, LoadingState, OrgRole, PanelData, TimeRange } from '@grafana/data';
import { config } from '@grafana/runtime';

import { fakeBackendSrv } from '../__fixtures__/backendSrv';
import { newDataSource } from '../__fixtures__/datasource';
import { bonusEvent } from '../__fixtures__/event';
import { AuditQuery } from '../types';
import { QueryEditor } from './QueryEditor';

const range: TimeRange = { from: dateTime(1_700_000_000_000), to: dateTime(1_700_003_600_000), raw: { from: 'now-1h', to: 'now' } };

const searchFrame = createDataFrame({
  refId: 'A',
  meta: { type: 'log-lines' as never },
  fields: [
    { name: 'timestamp', type: FieldType.time, values: [1_700_000_100_000] },
    { name: 'body', type: FieldType.string, values: ['Dana adjusted a bonus'] },
    { name: 'severity', type: FieldType.string, values: ['high'] },
    { name: 'id', type: FieldType.string, values: ['evt-42'] },
    { name: 'labels', type: FieldType.other, values: [{ module: 'bonus', outcome: 'success' }] },
    { name: 'actor', type: FieldType.string, values: ['emp-7'] },
    { name: 'action', type: FieldType.string, values: ['bonus.adjust'] },
    { name: 'ip', type: FieldType.string, values: ['203.0.113.9'] },
  ],
});

function renderEditor(initial: AuditQuery, data?: PanelData) {
  const latest = { current: initial };
  const onRunQuery = vi.fn();
  const ds = newDataSource({ exportRole: 'Editor', annotateRole: 'Editor' });
  function Harness() {
    const [query, setQuery] = useState(initial);
    return (
      <QueryEditor
        datasource={ds}
        query={query}
        range={range}
        data={data}
        onRunQuery={onRunQuery}
        onChange={(q) => {
          latest.current = q;
          setQuery(q);
        }}
      />
    );
  }
  render(<Harness />);
  return { latest, onRunQuery };
}

beforeEach(() => {
  config.bootData.user = { ...config.bootData.user, orgRole: OrgRole.Editor, isGrafanaAdmin: false };
});

describe('QueryEditor', () => {
  it('switches the query type and shows its options', async () => {
    fakeBackendSrv(() => ({ data: { values: [] } }));
    const { latest, onRunQuery } = renderEditor({ refId: 'A' });
    await userEvent.click(screen.getByRole('radio', { name: 'Timeline' }));
    expect(latest.current.queryType).toBe('timeline');
    expect(onRunQuery).toHaveBeenCalled();
    await userEvent.click(screen.getByLabelText(/^Split by/));
    await userEvent.click(await screen.findByText('Category'));
    expect(latest.current.splitBy).toBe('category');
    const interval = screen.getByLabelText(/^Interval/);
    await userEvent.clear(interval);
    await userEvent.type(interval, '5m{Enter}');
    expect(latest.current.interval).toBe('5m');

    await userEvent.click(screen.getByRole('radio', { name: 'Stats' }));
    await userEvent.click(screen.getByRole('radio', { name: 'Failures' }));
    expect(latest.current).toMatchObject({ queryType: 'stats', stat: 'failures' });
  });

  it('commits the Lucene text on Enter, not on every keystroke', async () => {
    fakeBackendSrv(() => ({ data: { values: [] } }));
    const { latest, onRunQuery } = renderEditor({ refId: 'A', queryType: 'search' });
    await userEvent.type(screen.getByLabelText(/^Lucene query/), 'action:bonus.*');
    expect(onRunQuery).not.toHaveBeenCalled();
    await userEvent.keyboard('{Enter}');
    expect(latest.current.query).toBe('action:bonus.*');
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('builds filter chips from backend suggestions with the keyboard', async () => {
    const calls = fakeBackendSrv(({ url }) =>
      url.includes('/fields/actor/values')
        ? { data: { values: [{ value: 'emp-1', count: 12 }, { value: 'emp-2', count: 3 }] } }
        : { data: { values: [] } }
    );
    const { latest } = renderEditor({ refId: 'A', queryType: 'search' });
    const value = screen.getByRole('combobox', { name: 'Filter value' });
    await userEvent.click(value);
    await userEvent.keyboard('emp');
    const list = await screen.findByRole('listbox', { name: 'Actor values' });
    expect(within(list).getAllByRole('option').map((o) => o.textContent)).toEqual(['emp-112', 'emp-23']);
    expect(calls.some((c) => c.params?.prefix === 'emp' && c.params?.from === 1_700_000_000_000)).toBe(true);
    await userEvent.keyboard('{ArrowDown}{ArrowDown}{Enter}');
    expect(latest.current.filters).toEqual([{ field: 'actor', op: 'eq', values: ['emp-2'] }]);

    await userEvent.keyboard('emp-9{Enter}');
    expect(latest.current.filters).toEqual([{ field: 'actor', op: 'eq', values: ['emp-2', 'emp-9'] }]);

    await userEvent.click(screen.getByRole('button', { name: /Operator of Actor: is;/ }));
    expect(latest.current.filters?.[0].op).toBe('neq');

    await userEvent.click(value);
    await userEvent.keyboard('{Backspace}');
    expect(latest.current.filters).toEqual([{ field: 'actor', op: 'neq', values: ['emp-2'] }]);
    await userEvent.click(screen.getByRole('button', { name: 'Remove Actor emp-2' }));
    expect(latest.current.filters).toEqual([]);
  });

  it('accepts IPs and CIDR ranges for the IP field and rejects anything else', async () => {
    fakeBackendSrv(() => ({ data: { values: [] } }));
    const { latest } = renderEditor({ refId: 'A', queryType: 'search' });
    await userEvent.click(screen.getByLabelText('Filter field'));
    await userEvent.click(await screen.findByText('IP / CIDR'));
    const value = screen.getByRole('combobox', { name: 'Filter value' });
    await userEvent.type(value, 'emp-1{Enter}');
    expect(screen.getByRole('alert')).toHaveTextContent('"emp-1" is not an IP address or CIDR range');
    expect(latest.current.filters ?? []).toEqual([]);
    await userEvent.clear(value);
    await userEvent.type(value, '10.0.0.0/8{Enter}');
    expect(latest.current.filters).toEqual([{ field: 'ip', op: 'eq', values: ['10.0.0.0/8'] }]);
  });

  it('lists returned events, opens one in the detail view and exports the query', async () => {
    const calls = fakeBackendSrv(({ url }) => {
      if (url.endsWith('/events/evt-42')) {
        return { data: bonusEvent };
      }
      if (url.endsWith('/export')) {
        return { data: new Blob(['timestamp,id\n']), headers: { 'content-disposition': 'attachment; filename="audit.csv"' } };
      }
      return { data: { values: [] } };
    });
    const createObjectURL = vi.fn(() => 'blob:audit');
    URL.createObjectURL = createObjectURL;
    URL.revokeObjectURL = vi.fn();
    const clicked: string[] = [];
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this.download);
    });
    const data: PanelData = { state: LoadingState.Done, series: [searchFrame], timeRange: range };
    renderEditor({ refId: 'A', queryType: 'search', query: 'module:bonus' }, data);

    const events = screen.getByRole('table', { name: 'Events' });
    expect(within(events).getByText('emp-7')).toBeInTheDocument();
    expect(within(events).getByText('success')).toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Export CSV' }));
    expect(clicked).toEqual(['audit.csv']);
    expect(calls.find((c) => c.url.endsWith('/export'))).toMatchObject({ params: { format: 'csv' }, data: { query: { query: 'module:bonus' } } });
    await userEvent.click(screen.getByRole('button', { name: 'Export Excel' }));
    await userEvent.click(screen.getByRole('button', { name: 'Export JSON' }));
    expect(calls.filter((c) => c.url.endsWith('/export')).map((c) => c.params?.format)).toEqual(['csv', 'xlsx', 'json']);
    expect(clicked).toHaveLength(3);
    click.mockRestore();

    await userEvent.click(within(events).getByRole('button', { name: 'Details of evt-42' }));
    const detail = await screen.findByRole('article', { name: 'Audit event evt-42' });
    expect(within(detail).getByRole('region', { name: 'Changes' })).toBeInTheDocument();
    await act(async () => {});
  });

  it('hides export from roles below the export role', () => {
    config.bootData.user = { ...config.bootData.user, orgRole: OrgRole.Viewer };
    fakeBackendSrv(() => ({ data: { values: [] } }));
    renderEditor({ refId: 'A', queryType: 'search' });
    expect(screen.queryByRole('button', { name: 'Export CSV' })).not.toBeInTheDocument();
    expect(screen.getByText('Your role cannot export audit events.')).toBeInTheDocument();
  });
});
