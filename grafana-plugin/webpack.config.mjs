// Builds the plugin frontend the way @grafana/create-plugin's webpack config
// does: one AMD module.js whose Grafana-provided libraries stay external, and
// plugin.json plus images copied next to it. The backend binaries are written
// into dist/ by `go build` (see the Makefile's plugin-backend target).
import CopyWebpackPlugin from 'copy-webpack-plugin';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
const pluginJson = JSON.parse(readFileSync(path.join(dir, 'src/plugin.json'), 'utf8'));

/** Libraries Grafana shares with plugins at run time (create-plugin's list). */
export const GRAFANA_EXTERNALS = [
  'lodash',
  'jquery',
  'moment',
  'slate',
  'emotion',
  '@emotion/react',
  '@emotion/css',
  'prismjs',
  'slate-plain-serializer',
  '@grafana/slate-react',
  'react',
  'react-dom',
  'react-redux',
  'redux',
  'rxjs',
  'i18next',
  'react-router',
  'react-router-dom',
  'd3',
  'angular',
  /^@grafana\/ui/i,
  /^@grafana\/runtime/i,
  /^@grafana\/data/i,
];

/** swcRule compiles TypeScript and JSX (classic runtime: React is a shared external). */
export const swcRule = {
  test: /\.[tj]sx?$/,
  exclude: /node_modules/,
  use: {
    loader: 'swc-loader',
    options: {
      jsc: {
        baseUrl: dir,
        target: 'es2020',
        parser: { syntax: 'typescript', tsx: true, decorators: false, dynamicImport: true },
        transform: { react: { runtime: 'classic' } },
      },
    },
  },
};

export default (_env, argv) => ({
  context: path.join(dir, 'src'),
  entry: { module: './module.ts' },
  devtool: argv.mode === 'production' ? 'source-map' : 'eval-source-map',
  externals: [{ 'amd-module': 'module' }, ...GRAFANA_EXTERNALS],
  module: { rules: [swcRule] },
  resolve: { extensions: ['.ts', '.tsx', '.js', '.jsx'] },
  output: {
    clean: { keep: /^gpx_/ },
    filename: '[name].js',
    path: path.join(dir, 'dist'),
    library: { type: 'amd' },
    publicPath: `public/plugins/${pluginJson.id}/`,
    uniqueName: pluginJson.id,
  },
  plugins: [
    new CopyWebpackPlugin({
      patterns: [
        {
          from: 'plugin.json',
          to: '.',
          transform: (content) =>
            content
              .toString()
              .replace('%VERSION%', pkg.version)
              .replace('%TODAY%', new Date().toISOString().slice(0, 10)),
        },
        { from: 'img/**/*', to: '.' },
        { from: '../README.md', to: '.', noErrorOnMissing: true },
        { from: '../FRONTEND.md', to: '.', noErrorOnMissing: true },
      ],
    }),
  ],
  performance: { hints: false },
});
