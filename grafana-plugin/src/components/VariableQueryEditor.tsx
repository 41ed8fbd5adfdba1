import React, { useState } from 'react';
import { SelectableValue } from '@grafana/data';
import { Field, Input, Select, Stack } from '@grafana/ui';

import { FIELD_LABELS } from '../filters';
import { AuditVariableQuery, FILTER_FIELDS, FilterField } from '../types';

interface Props {
  query: AuditVariableQuery | string;
  onChange: (query: AuditVariableQuery, definition: string) => void;
}

const FIELD_OPTIONS: Array<SelectableValue<FilterField>> = FILTER_FIELDS.map((f) => ({ label: FIELD_LABELS[f], value: f }));

export function describeVariableQuery(q: AuditVariableQuery): string {
  return q.prefix ? `values of ${q.field} starting with ${q.prefix}` : `values of ${q.field}`;
}

/** VariableQueryEditor defines a template variable as the values of one audit field. */
export function VariableQueryEditor({ query, onChange }: Props) {
  const initial: AuditVariableQuery = typeof query === 'string' || !query?.field ? { field: 'actor' } : query;
  const [state, setState] = useState<AuditVariableQuery>(initial);
  const save = (next: AuditVariableQuery) => {
    setState(next);
    onChange(next, describeVariableQuery(next));
  };
  return (
    <Stack gap={2}>
      <Field htmlFor="variable-field" label="Field" description="The variable lists this field's values in the dashboard's time range.">
        <Select
          inputId="variable-field"
          width={24}
          options={FIELD_OPTIONS}
          value={state.field}
          onChange={(v) => v.value && save({ ...state, field: v.value })}
        />
      </Field>
      <Field htmlFor="variable-prefix" label="Prefix" description="Only values starting with this text (optional).">
        <Input
          id="variable-prefix"
          width={24}
          value={state.prefix ?? ''}
          onChange={(e) => setState({ ...state, prefix: e.currentTarget.value })}
          onBlur={() => save(state)}
        />
      </Field>
    </Stack>
  );
}
