// Bundles the browser test page with everything it imports (no Grafana to
// provide React or @grafana/*), using the plugin build's TypeScript rule.
import CopyWebpackPlugin from 'copy-webpack-plugin';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { swcRule } from '../webpack.config.mjs';

const dir = path.dirname(fileURLToPath(import.meta.url));

export default {
  mode: 'development',
  devtool: false,
  context: path.join(dir, 'page'),
  entry: { page: './index.tsx' },
  module: {
    rules: [
      swcRule,
      { test: /\.css$/, use: ['style-loader', 'css-loader'] },
      { test: /\.(svg|png|woff2?|ttf|eot)$/, type: 'asset/resource' },
    ],
  },
  resolve: { extensions: ['.ts', '.tsx', '.js', '.jsx', '.mjs'] },
  output: { path: path.join(dir, 'page/dist'), filename: '[name].js', clean: true },
  plugins: [new CopyWebpackPlugin({ patterns: [{ from: 'index.html' }, { from: 'bootdata.js' }] })],
  performance: { hints: false },
};
