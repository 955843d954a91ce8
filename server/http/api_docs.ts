// The API reference at /api/docs: swagger-ui (from its npm package, served by Plaza itself, no CDN) rendering
// /api/openapi.json. The page has no inline script or style, so it lives under the same Content-Security-Policy
// as every other page.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const swaggerUiDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const { version } = JSON.parse(readFileSync(join(swaggerUiDir, 'package.json'), 'utf8')) as { version: string };

/** The viewer's files under a versioned path, so that browsers may keep them for good. */
export const VIEWER_PREFIX = `/static/vendor/swagger-ui-${version}`;
export const VIEWER_FILES = ['swagger-ui.css', 'swagger-ui-bundle.js'].map((name) => ({ path: `${VIEWER_PREFIX}/${name}`, file: join(swaggerUiDir, name) }));

export const API_DOCS_PATH = '/api/docs';

export function apiDocsPage(openApiPath: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Plaza API reference</title>
  <link rel="icon" href="/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="${VIEWER_PREFIX}/swagger-ui.css">
</head>
<body>
  <div id="api-docs" data-openapi-url="${openApiPath}"></div>
  <script src="${VIEWER_PREFIX}/swagger-ui-bundle.js"></script>
  <script src="/static/api_docs.js"></script>
</body>
</html>
`;
}
