import React, { useState } from 'react';
import { TimeRange } from '@grafana/data';
import { Alert, Button, Stack } from '@grafana/ui';

import { AuditQuery, ExportedFile, ExportFormat } from '../types';
import { errorMessage } from './EventDetail';

export interface ExportSource {
  exportEvents(query: AuditQuery, range: TimeRange, format: ExportFormat): Promise<ExportedFile>;
}

interface Props {
  source: ExportSource;
  query: AuditQuery;
  range?: TimeRange;
  allowed: boolean;
}

const FORMATS: Array<{ format: ExportFormat; label: string }> = [
  { format: 'csv', label: 'CSV' },
  { format: 'xlsx', label: 'Excel' },
  { format: 'json', label: 'JSON' },
];

/** ExportButtons downloads every event the query matches in the range, not just the page shown. */
export function ExportButtons({ source, query, range, allowed }: Props) {
  const [busy, setBusy] = useState<ExportFormat>();
  const [error, setError] = useState<string>();
  if (!allowed) {
    return <span>Your role cannot export audit events.</span>;
  }
  const run = async (format: ExportFormat) => {
    if (!range) {
      return;
    }
    setBusy(format);
    setError(undefined);
    try {
      saveFile(await source.exportEvents(query, range, format));
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <Stack direction="column" gap={1}>
      <Stack gap={1} alignItems="center">
        <span>Export:</span>
        {FORMATS.map(({ format, label }) => (
          <Button
            key={format}
            size="sm"
            variant="secondary"
            icon={busy === format ? 'spinner' : 'download-alt'}
            disabled={!range || busy !== undefined}
            aria-label={`Export ${label}`}
            onClick={() => run(format)}
          >
            {label}
          </Button>
        ))}
      </Stack>
      {error && (
        <Alert severity="error" title="Export failed">
          {error}
        </Alert>
      )}
    </Stack>
  );
}

/** saveFile hands a downloaded file to the browser's save mechanism. */
export function saveFile({ blob, filename }: ExportedFile) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoke later: some browsers read the URL after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
