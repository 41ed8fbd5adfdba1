// Real-Grafana browser tests with @grafana/plugin-e2e. They need a running
// Grafana at GRAFANA_URL with this plugin installed and
// provisioning/datasources/auditpipe.yaml provisioned (AUDITPIPE_ES_URL
// pointing at an Elasticsearch or esdev holding audit events), plus
// `npm i -D @grafana/plugin-e2e @playwright/test` and `npx playwright install
// chromium`, which this machine cannot do. tests/e2e/run.mjs starts them
// when GRAFANA_URL is set and the packages resolve.
import { dirname } from 'node:path';
import { defineConfig, devices } from '@playwright/test';
import type { PluginOptions } from '@grafana/plugin-e2e';

const pluginE2eAuth = `${dirname(require.resolve('@grafana/plugin-e2e'))}/auth`;

export default defineConfig<PluginOptions>({
  testDir: '.',
  fullyParallel: false,
  reporter: 'list',
  use: {
    baseURL: process.env.GRAFANA_URL,
    provisioningRootDir: `${__dirname}/../../provisioning`,
    trace: 'retain-on-failure',
  },
  projects: [
    { name: 'auth', testDir: pluginE2eAuth, testMatch: [/.*\.js/] },
    {
      name: 'run-tests',
      use: { ...devices['Desktop Chrome'], storageState: 'playwright/.auth/admin.json' },
      dependencies: ['auth'],
    },
  ],
});
