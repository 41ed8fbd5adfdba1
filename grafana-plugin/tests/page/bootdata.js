// The part of Grafana's boot data @grafana/runtime and @grafana/ui read.
window.grafanaBootData = {
  settings: {
    featureToggles: {},
    buildInfo: { version: '13.2.2', edition: 'Open Source', env: 'production' },
    datasources: {},
    panels: {},
    apps: {},
    appSubUrl: '',
    namespace: 'default',
  },
  user: {
    id: 1,
    login: 'admin',
    name: 'admin',
    email: 'admin@example.org',
    orgId: 1,
    orgRole: new URLSearchParams(location.search).get('role') || 'Admin',
    isGrafanaAdmin: false,
    isSignedIn: true,
    theme: 'dark',
    timezone: 'utc',
    locale: 'en-US',
    language: 'en-US',
    weekStart: 'monday',
  },
  navTree: [],
};
