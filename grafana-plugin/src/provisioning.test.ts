import { readFileSync } from 'node:fs';
import path from 'node:path';

import { isFilterField } from './datasource';
import { AuditQuery } from './types';

const dashboard = JSON.parse(
  readFileSync(path.join(__dirname, '../provisioning/dashboards/audit-overview.json'), 'utf8')
) as {
  uid: string;
  panels: Array<{ title: string; type: string; targets: AuditQuery[]; datasource: { uid: string } }>;
  annotations: { list: Array<{ name: string; target?: AuditQuery }> };
};

const QUERY_TYPES = ['search', 'timeline', 'facets', 'stats'];

describe('Audit overview dashboard', () => {
  it('has the panels the overview promises', () => {
    expect(dashboard.panels.map((p) => p.title)).toEqual(
      expect.arrayContaining([
        'Events over time by category',
        'Critical events',
        'Top actors',
        'Top modules',
        'Failed logins by IP',
        'Exports by employee',
        'Live tail',
      ])
    );
    const tail = dashboard.panels.find((p) => p.title === 'Live tail');
    expect(tail?.type).toBe('logs');
    expect(tail?.targets[0]).toMatchObject({ queryType: 'search', live: true });
  });

  it('only uses query types and fields the backend knows, on the provisioned data source', () => {
    const targets = [
      ...dashboard.panels.flatMap((p) => p.targets),
      ...dashboard.annotations.list.flatMap((a) => (a.target ? [a.target] : [])),
    ];
    for (const t of targets) {
      expect(QUERY_TYPES).toContain(t.queryType);
      expect(t.datasource?.uid).toBe('auditpipe');
      for (const f of t.filters ?? []) {
        expect(isFilterField(f.field)).toBe(true);
        expect(['eq', 'neq']).toContain(f.op);
      }
      for (const field of [t.splitBy, t.facetField].filter(Boolean)) {
        expect(isFilterField(field as string)).toBe(true);
      }
    }
  });
});
