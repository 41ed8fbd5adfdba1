import React, { KeyboardEvent, useEffect, useState } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2, QueryEditorProps, SelectableValue } from '@grafana/data';
import { Field, Input, RadioButtonGroup, Select, Stack, useStyles2 } from '@grafana/ui';

import { DataSource } from '../datasource';
import { FIELD_LABELS } from '../filters';
import { currentUserHasRole } from '../roles';
import {
  AuditDataSourceOptions,
  AuditQuery,
  DEFAULT_QUERY,
  FILTER_FIELDS,
  FilterField,
  MAX_SEARCH_LIMIT,
  QueryType,
  StatKind,
} from '../types';
import { EventsView } from './EventsView';
import { ExportButtons } from './ExportButtons';
import { FilterChips } from './FilterChips';

export type Props = QueryEditorProps<DataSource, AuditQuery, AuditDataSourceOptions>;

const QUERY_TYPES: Array<SelectableValue<QueryType>> = [
  { label: 'Search', value: 'search', description: 'Matching events, newest first' },
  { label: 'Timeline', value: 'timeline', description: 'Event counts over time' },
  { label: 'Facets', value: 'facets', description: 'Top values of a field' },
  { label: 'Stats', value: 'stats', description: 'One number' },
];

const STATS: Array<SelectableValue<StatKind>> = [
  { label: 'Events', value: 'count' },
  { label: 'Distinct actors', value: 'actors' },
  { label: 'Failures', value: 'failures' },
  { label: 'Critical', value: 'critical' },
];

const SORTS: Array<SelectableValue<'desc' | 'asc'>> = [
  { label: 'Newest first', value: 'desc' },
  { label: 'Oldest first', value: 'asc' },
];

const FIELD_OPTIONS: Array<SelectableValue<FilterField>> = FILTER_FIELDS.map((f) => ({ label: FIELD_LABELS[f], value: f }));

export function QueryEditor({ query, onChange, onRunQuery, datasource, range, data }: Props) {
  const styles = useStyles2(getStyles);
  const q: AuditQuery = { ...DEFAULT_QUERY, ...query };
  const update = (patch: Partial<AuditQuery>, run = true) => {
    onChange({ ...query, ...patch });
    if (run) {
      onRunQuery();
    }
  };
  const jsonData = datasource.jsonData ?? {};

  return (
    <div className={styles.root}>
      <Stack gap={2} alignItems="flex-end" wrap="wrap">
        <Field label="Query type">
          <RadioButtonGroup options={QUERY_TYPES} value={q.queryType} onChange={(v) => update({ queryType: v })} />
        </Field>
        <Field htmlFor="query-lucene" label="Lucene query" className={styles.grow} description="e.g. action:bonus.* AND NOT outcome:success">
          <LuceneInput value={q.query ?? ''} onCommit={(text) => update({ query: text })} />
        </Field>
      </Stack>

      <Field label="Filters" description="Pick a field, type a value (suggestions from the data), Enter to add.">
        <FilterChips filters={q.filters ?? []} onChange={(filters) => update({ filters })} source={datasource} range={range} />
      </Field>

      {q.queryType === 'search' && (
        <Stack gap={2}>
          <Field label="Order">
            <RadioButtonGroup options={SORTS} value={q.sort ?? 'desc'} onChange={(v) => update({ sort: v })} />
          </Field>
          <Field htmlFor="query-limit" label="Page size" description={`1 to ${MAX_SEARCH_LIMIT}`}>
            <NumberInput id="query-limit" value={q.limit} min={1} max={MAX_SEARCH_LIMIT} onCommit={(limit) => update({ limit })} />
          </Field>
        </Stack>
      )}

      {q.queryType === 'timeline' && (
        <Stack gap={2}>
          <Field htmlFor="query-split-by" label="Split by" description="One series per value">
            <Select
              inputId="query-split-by"
              width={24}
              isClearable
              placeholder="No split"
              options={FIELD_OPTIONS}
              value={q.splitBy ?? null}
              onChange={(v) => update({ splitBy: v?.value })}
            />
          </Field>
          <Field htmlFor="query-interval" label="Interval" description="e.g. 1m, 1h, or auto">
            <TextCommitInput id="query-interval" value={q.interval ?? 'auto'} width={12} onCommit={(interval) => update({ interval })} />
          </Field>
        </Stack>
      )}

      {q.queryType === 'facets' && (
        <Stack gap={2}>
          <Field htmlFor="query-facet-field" label="Field">
            <Select
              inputId="query-facet-field"
              width={24}
              options={FIELD_OPTIONS}
              value={q.facetField ?? 'actor'}
              onChange={(v) => update({ facetField: v.value })}
            />
          </Field>
          <Field htmlFor="query-facet-size" label="Top">
            <NumberInput id="query-facet-size" value={q.size ?? 10} min={1} max={1000} onCommit={(size) => update({ size })} />
          </Field>
        </Stack>
      )}

      {q.queryType === 'stats' && (
        <Field label="Statistic">
          <RadioButtonGroup options={STATS} value={q.stat ?? 'count'} onChange={(v) => update({ stat: v })} />
        </Field>
      )}

      {q.queryType === 'search' && (
        <section aria-label="Event view" className={styles.events}>
          <ExportButtons
            source={datasource}
            query={q}
            range={range}
            allowed={currentUserHasRole(jsonData.exportRole)}
          />
          <EventsView
            frames={data?.series ?? []}
            source={datasource}
            canComment={currentUserHasRole(jsonData.annotateRole)}
          />
        </section>
      )}
    </div>
  );
}

/** LuceneInput edits locally and commits on Enter or blur, so each keystroke does not run a query. */
function LuceneInput({ value, onCommit }: { value: string; onCommit: (v: string) => void }) {
  return (
    <TextCommitInput
      id="query-lucene"
      value={value}
      placeholder="free text or Lucene: actor.id:emp-1 AND action:payment.*"
      onCommit={onCommit}
    />
  );
}

interface TextCommitInputProps {
  id: string;
  value: string;
  placeholder?: string;
  width?: number;
  onCommit: (v: string) => void;
}

function TextCommitInput({ id, value, placeholder, width, onCommit }: TextCommitInputProps) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  const commit = () => text !== value && onCommit(text);
  return (
    <Input
      id={id}
      width={width}
      value={text}
      placeholder={placeholder}
      onChange={(e) => setText(e.currentTarget.value)}
      onBlur={commit}
      onKeyDown={(e: KeyboardEvent<HTMLInputElement>) => e.key === 'Enter' && commit()}
    />
  );
}

interface NumberInputProps {
  id: string;
  value?: number;
  min: number;
  max: number;
  onCommit: (v: number) => void;
}

function NumberInput({ id, value, min, max, onCommit }: NumberInputProps) {
  return (
    <TextCommitInput
      id={id}
      width={12}
      value={value === undefined ? '' : String(value)}
      onCommit={(text) => {
        const n = parseInt(text, 10);
        if (Number.isFinite(n)) {
          onCommit(Math.min(max, Math.max(min, n)));
        }
      }}
    />
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  root: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1) }),
  grow: css({ flexGrow: 1, minWidth: 320 }),
  events: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1) }),
});
