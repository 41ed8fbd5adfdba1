import React, { useState } from 'react';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { DataSourceSettings } from '@grafana/data';

import { AuditDataSourceOptions, AuditSecureJsonData } from '../types';
import { ConfigEditor, parseUrls } from './ConfigEditor';

type Settings = DataSourceSettings<AuditDataSourceOptions, AuditSecureJsonData>;

const base = (patch: Partial<Settings> = {}): Settings =>
  ({
    id: 1,
    uid: 'audit',
    name: 'Audit',
    type: 'auditpipe-audit-datasource',
    jsonData: {},
    secureJsonFields: {},
    ...patch,
  }) as Settings;

/** Harness keeps the settings in state as Grafana's config page does and exposes the latest. */
function renderEditor(initial: Settings) {
  const latest: { current: Settings } = { current: initial };
  function Harness() {
    const [options, setOptions] = useState(initial);
    return (
      <ConfigEditor
        options={options}
        onOptionsChange={(o) => {
          latest.current = o;
          setOptions(o);
        }}
      />
    );
  }
  render(<Harness />);
  return latest;
}

/** typeInto focuses the control and pastes the text: one change instead of a re-render per keystroke. */
async function typeInto(el: HTMLElement, text: string) {
  await userEvent.click(el);
  await userEvent.paste(text);
}

describe('ConfigEditor', () => {
  it('stores the URLs, index pattern, annotations index and self-audit endpoint', async () => {
    const latest = renderEditor(base());
    await typeInto(screen.getByLabelText(/^URLs/), 'http://es-1:9200, http://es-2:9200');
    await typeInto(screen.getByLabelText(/^Index pattern/), 'logs-audit-*');
    await typeInto(screen.getByLabelText(/^Annotations index/), 'audit-notes');
    await typeInto(screen.getByLabelText(/^OTLP endpoint/), '127.0.0.1:4318');
    expect(screen.getByLabelText(/^URLs/)).toHaveValue('http://es-1:9200, http://es-2:9200');
    expect(latest.current.jsonData).toMatchObject({
      urls: ['http://es-1:9200', 'http://es-2:9200'],
      index: 'logs-audit-*',
      annotationsIndex: 'audit-notes',
      selfAuditEndpoint: '127.0.0.1:4318',
    });
  });

  it('keeps secrets in secureJsonData and shows the fields for the chosen auth method', async () => {
    const latest = renderEditor(base());
    expect(screen.queryByLabelText(/^API key/, { selector: '#config-api-key' })).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole('radio', { name: 'Basic' }));
    await typeInto(screen.getByLabelText(/^User/), 'grafana');
    await typeInto(screen.getByLabelText(/^Password/), 's3cret');
    expect(latest.current.jsonData).toMatchObject({ authType: 'basic', username: 'grafana' });
    expect(latest.current.secureJsonData).toEqual({ password: 's3cret' });

    await userEvent.click(screen.getByRole('radio', { name: 'API key' }));
    expect(screen.queryByLabelText(/^Password/)).not.toBeInTheDocument();
    await typeInto(screen.getByLabelText(/^API key/, { selector: '#config-api-key' }), 'k-123');
    expect(latest.current.jsonData.authType).toBe('apiKey');
    expect(latest.current.secureJsonData).toMatchObject({ apiKey: 'k-123' });
    expect(JSON.stringify(latest.current.jsonData)).not.toContain('k-123');
  });

  it('shows a stored secret as configured and resets it', async () => {
    const latest = renderEditor(base({ jsonData: { authType: 'apiKey' }, secureJsonFields: { apiKey: true } }));
    expect(screen.getByLabelText(/^API key/, { selector: '#config-api-key' })).toHaveValue('configured');
    await userEvent.click(screen.getByRole('button', { name: 'Reset' }));
    expect(latest.current.secureJsonFields).toMatchObject({ apiKey: false });
    expect(latest.current.secureJsonData).toMatchObject({ apiKey: '' });
  });

  it('sets TLS options, the export limit and the roles', async () => {
    const latest = renderEditor(base());
    await userEvent.click(screen.getByLabelText(/^Skip certificate verification/));
    await typeInto(screen.getByLabelText(/^CA certificate/), '-----BEGIN CERTIFICATE-----');
    await typeInto(screen.getByLabelText(/^Export row limit/), '5000');
    await userEvent.click(screen.getByLabelText(/^Export role/));
    await userEvent.click(await screen.findByText('Admin'));
    expect(latest.current.jsonData).toMatchObject({ tlsSkipVerify: true, tlsCACert: true, exportMaxRows: 5000, exportRole: 'Admin' });
    expect(latest.current.secureJsonData).toMatchObject({ tlsCACert: '-----BEGIN CERTIFICATE-----' });
  });

  it('is usable with the keyboard alone', async () => {
    const latest = renderEditor(base());
    await userEvent.tab();
    expect(screen.getByLabelText(/^URLs/)).toHaveFocus();
    await userEvent.keyboard('http://es:9200');
    expect(latest.current.jsonData.urls).toEqual(['http://es:9200']);
  });
});

describe('parseUrls', () => {
  it('splits on commas and whitespace and drops blanks', () => {
    expect(parseUrls(' http://a:9200,,http://b:9200\nhttp://c:9200 ')).toEqual(['http://a:9200', 'http://b:9200', 'http://c:9200']);
  });
});
