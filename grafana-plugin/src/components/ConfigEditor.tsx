import React, { ChangeEvent, useState } from 'react';
import {
  onUpdateDatasourceJsonDataOption,
  onUpdateDatasourceSecureJsonDataOption,
  DataSourcePluginOptionsEditorProps,
  SelectableValue,
} from '@grafana/data';
import { Field, FieldSet, Input, InlineSwitch, RadioButtonGroup, SecretInput, SecretTextArea, Select } from '@grafana/ui';

import { AuditDataSourceOptions, AuditSecureJsonData, AuthType, GrafanaRole } from '../types';

type Props = DataSourcePluginOptionsEditorProps<AuditDataSourceOptions, AuditSecureJsonData>;

const AUTH_OPTIONS: Array<SelectableValue<AuthType>> = [
  { label: 'No auth', value: 'none' },
  { label: 'Basic', value: 'basic' },
  { label: 'API key', value: 'apiKey' },
];

const ROLE_OPTIONS: Array<SelectableValue<GrafanaRole>> = [
  { label: 'Viewer', value: 'Viewer' },
  { label: 'Editor', value: 'Editor' },
  { label: 'Admin', value: 'Admin' },
];

export const CONFIG_DEFAULTS = {
  index: 'logs-audit-*',
  annotationsIndex: 'audit-annotations',
  exportMaxRows: 1000000,
  role: 'Editor' as GrafanaRole,
};

const WIDTH = 60;

export function parseUrls(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((u) => u.trim())
    .filter(Boolean);
}

export function ConfigEditor(props: Props) {
  const { options, onOptionsChange } = props;
  const jsonData = options.jsonData;
  const secure = options.secureJsonFields ?? {};
  const authType = jsonData.authType ?? 'none';

  const setJson = <K extends keyof AuditDataSourceOptions>(key: K, value: AuditDataSourceOptions[K]) =>
    onOptionsChange({ ...options, jsonData: { ...jsonData, [key]: value } });

  const resetSecret = (key: keyof AuditSecureJsonData) =>
    onOptionsChange({
      ...options,
      secureJsonFields: { ...secure, [key]: false },
      secureJsonData: { ...options.secureJsonData, [key]: '' },
    });

  const onCACertChange = (e: ChangeEvent<HTMLTextAreaElement>) =>
    onOptionsChange({
      ...options,
      jsonData: { ...jsonData, tlsCACert: e.target.value !== '' },
      secureJsonData: { ...options.secureJsonData, tlsCACert: e.target.value },
    });

  return (
    <>
      <FieldSet label="Elasticsearch">
        <Field
          htmlFor="config-urls"
          label="URLs"
          description="One or more Elasticsearch base URLs, separated by commas or spaces; requests fail over between them."
          required
        >
          <UrlsInput urls={jsonData.urls ?? []} onChange={(urls) => setJson('urls', urls)} />
        </Field>
        <Field htmlFor="config-index" label="Index pattern" description="Data stream or index pattern holding the audit events.">
          <Input
            id="config-index"
            width={WIDTH}
            placeholder={CONFIG_DEFAULTS.index}
            value={jsonData.index ?? ''}
            onChange={onUpdateDatasourceJsonDataOption(props, 'index')}
          />
        </Field>
        <Field htmlFor="config-annotations-index" label="Annotations index" description="Where comments and tags added from Grafana are stored.">
          <Input
            id="config-annotations-index"
            width={WIDTH}
            placeholder={CONFIG_DEFAULTS.annotationsIndex}
            value={jsonData.annotationsIndex ?? ''}
            onChange={onUpdateDatasourceJsonDataOption(props, 'annotationsIndex')}
          />
        </Field>
      </FieldSet>

      <FieldSet label="Authentication">
        <Field label="Method">
          <RadioButtonGroup
            options={AUTH_OPTIONS}
            value={authType}
            onChange={(v) => setJson('authType', v)}
          />
        </Field>
        {authType === 'basic' && (
          <>
            <Field htmlFor="config-username" label="User">
              <Input
                id="config-username"
                width={WIDTH}
                value={jsonData.username ?? ''}
                onChange={onUpdateDatasourceJsonDataOption(props, 'username')}
              />
            </Field>
            <Field htmlFor="config-password" label="Password">
              <SecretInput
                id="config-password"
                width={WIDTH}
                isConfigured={!!secure.password}
                value={options.secureJsonData?.password ?? ''}
                onChange={onUpdateDatasourceSecureJsonDataOption(props, 'password')}
                onReset={() => resetSecret('password')}
              />
            </Field>
          </>
        )}
        {authType === 'apiKey' && (
          <Field htmlFor="config-api-key" label="API key" description="Sent as `Authorization: ApiKey <key>`.">
            <SecretInput
              id="config-api-key"
              width={WIDTH}
              isConfigured={!!secure.apiKey}
              value={options.secureJsonData?.apiKey ?? ''}
              onChange={onUpdateDatasourceSecureJsonDataOption(props, 'apiKey')}
              onReset={() => resetSecret('apiKey')}
            />
          </Field>
        )}
      </FieldSet>

      <FieldSet label="TLS">
        <Field htmlFor="config-tls-skip-verify" label="Skip certificate verification" description="Only for test clusters with self-signed certificates.">
          <InlineSwitch
            id="config-tls-skip-verify"
            value={!!jsonData.tlsSkipVerify}
            onChange={(e) => setJson('tlsSkipVerify', e.currentTarget.checked)}
          />
        </Field>
        <Field htmlFor="config-tls-ca" label="CA certificate" description="PEM of the CA that signed the cluster's certificate.">
          <SecretTextArea
            id="config-tls-ca"
            cols={WIDTH}
            rows={4}
            isConfigured={!!secure.tlsCACert}
            value={options.secureJsonData?.tlsCACert ?? ''}
            onChange={onCACertChange}
            onReset={() => resetSecret('tlsCACert')}
            placeholder="-----BEGIN CERTIFICATE-----"
          />
        </Field>
      </FieldSet>

      <FieldSet label="Exports and permissions">
        <Field htmlFor="config-export-max-rows" label="Export row limit" description="Most events one export may contain.">
          <Input
            id="config-export-max-rows"
            type="number"
            min={1}
            width={20}
            placeholder={String(CONFIG_DEFAULTS.exportMaxRows)}
            value={jsonData.exportMaxRows ?? ''}
            onChange={(e) => {
              const n = parseInt(e.currentTarget.value, 10);
              setJson('exportMaxRows', Number.isFinite(n) && n > 0 ? n : undefined);
            }}
          />
        </Field>
        <RoleField
          label="Export role"
          description="Lowest role allowed to export events."
          inputId="config-export-role"
          value={jsonData.exportRole}
          onChange={(v) => setJson('exportRole', v)}
        />
        <RoleField
          label="Unmask role"
          description="Lowest role that sees masked values in clear."
          inputId="config-unmask-role"
          value={jsonData.unmaskRole}
          onChange={(v) => setJson('unmaskRole', v)}
        />
        <RoleField
          label="Comment role"
          description="Lowest role allowed to add comments and tags to events."
          inputId="config-annotate-role"
          value={jsonData.annotateRole}
          onChange={(v) => setJson('annotateRole', v)}
        />
      </FieldSet>

      <FieldSet label="Self-audit">
        <Field htmlFor="config-self-audit"
          label="OTLP endpoint"
          description="OTLP/HTTP endpoint (host:port) that receives an audit event for every export and comment made through this data source; while it fails, both are refused. Empty: they are only logged."
        >
          <Input
            id="config-self-audit"
            width={WIDTH}
            placeholder="127.0.0.1:4318"
            value={jsonData.selfAuditEndpoint ?? ''}
            onChange={onUpdateDatasourceJsonDataOption(props, 'selfAuditEndpoint')}
          />
        </Field>
      </FieldSet>
    </>
  );
}

interface RoleFieldProps {
  label: string;
  description: string;
  inputId: string;
  value?: GrafanaRole;
  onChange: (role: GrafanaRole) => void;
}

function RoleField({ label, description, inputId, value, onChange }: RoleFieldProps) {
  return (
    <Field htmlFor={inputId} label={label} description={description}>
      <Select
        inputId={inputId}
        width={20}
        options={ROLE_OPTIONS}
        value={value ?? CONFIG_DEFAULTS.role}
        onChange={(v) => v.value && onChange(v.value)}
      />
    </Field>
  );
}

/** UrlsInput keeps the typed text so separators survive while the parsed list is stored. */
function UrlsInput({ urls, onChange }: { urls: string[]; onChange: (urls: string[]) => void }) {
  const [text, setText] = useState(urls.join(', '));
  return (
    <Input
      id="config-urls"
      width={WIDTH}
      placeholder="http://127.0.0.1:9200"
      value={text}
      onChange={(e) => {
        setText(e.currentTarget.value);
        onChange(parseUrls(e.currentTarget.value));
      }}
    />
  );
}
