// Starts swagger-ui on /api/docs with Plaza's OpenAPI document. No validator badge: it would send the document to a
// third party (and the CSP would refuse the image anyway).
const root = document.getElementById('api-docs');
window.SwaggerUIBundle({
  domNode: root,
  url: root.dataset.openapiUrl,
  validatorUrl: null,
  deepLinking: true,
  defaultModelsExpandDepth: 0,
});
