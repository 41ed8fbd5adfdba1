// The browser flows of tests/e2e/run.mjs, in a real Grafana.
import { expect, test } from '@grafana/plugin-e2e';

test('config: Save & test reports a healthy connection', async ({ createDataSourceConfigPage, readProvisionedDataSource, page }) => {
  const ds = await readProvisionedDataSource({ fileName: 'auditpipe.yaml' });
  const configPage = await createDataSourceConfigPage({ type: ds.type });
  await page.getByLabel('URLs').fill(process.env.AUDITPIPE_ES_URL ?? 'http://127.0.0.1:9200');
  await page.getByLabel('Index pattern').fill('logs-audit-*');
  await expect(configPage.saveAndTest()).toBeOK();
  await expect(configPage).toHaveAlert('success');
});

test('query: a filtered search returns events and opens one', async ({ panelEditPage, readProvisionedDataSource, page }) => {
  const ds = await readProvisionedDataSource({ fileName: 'auditpipe.yaml' });
  await panelEditPage.datasource.set(ds.name);
  await panelEditPage.setVisualization('Table');
  await page.getByRole('radio', { name: 'Search' }).click();
  await page.getByLabel('Filter field').click();
  await page.getByRole('option', { name: 'Module' }).click();
  const value = page.getByRole('combobox', { name: 'Filter value' });
  await value.click();
  await value.pressSequentially('bon');
  await page.getByRole('listbox', { name: 'Module values' }).getByRole('option').first().waitFor();
  await value.press('ArrowDown');
  await value.press('Enter');
  await page.getByLabel('Lucene query').fill('NOT outcome:failure');
  await expect(panelEditPage.refreshPanel()).toBeOK();
  const events = page.getByRole('table', { name: 'Events' });
  await expect(events.locator('tbody tr').first()).toBeVisible();
  await events.getByRole('button', { name: /^Details of / }).first().click();
  const changes = page.getByRole('region', { name: 'Changes' });
  await expect(changes.locator('tr[data-changed="true"]').first()).toBeVisible();
});

test('export: the CSV holds the matching events', async ({ panelEditPage, readProvisionedDataSource, page }) => {
  const ds = await readProvisionedDataSource({ fileName: 'auditpipe.yaml' });
  await panelEditPage.datasource.set(ds.name);
  await page.getByLabel('Lucene query').fill('module:bonuses');
  await page.getByLabel('Lucene query').press('Enter');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  const text = await (await download.createReadStream()).toArray();
  const lines = Buffer.concat(text).toString('utf8').trim().split(/\r?\n/);
  expect(lines[0]).toMatch(/^timestamp,id,actor_id,/);
  expect(lines.length).toBeGreaterThan(1);
});

test('dashboard: Audit overview panels render', async ({ gotoDashboardPage }) => {
  const dashboardPage = await gotoDashboardPage({ uid: 'auditpipe-audit-overview' });
  await expect(dashboardPage.getByGrafanaSelector('data-testid Panel header Events over time by category')).toBeVisible();
});
