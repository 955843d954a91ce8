// A backend hands its signed-in user over to Plaza's H5 group page: it exchanges the user's access token it holds
// (RFC 8693) for a one-time handoff code and sends the user to /h5/groups/<id>#code=<code>. The page makes its own
// keys and trades the code for a short view token bound to them; the backend's token never reaches the browser.
// Guide: docs/apps/h5-handoff.md. The backend is a confidential client with the token-exchange grant type; run
//   PLAZA_ISSUER=http://localhost:3000 CLIENT_ID=my-web CLIENT_SECRET=... ACCESS_TOKEN=<the user's token> GROUP_ID=hiking \
//     npx node examples/h5-handoff.ts
// and it prints the URL to send the user's browser to (a real backend answers 303 with it).
import * as client from 'openid-client';

const issuer = new URL(process.env.PLAZA_ISSUER ?? 'http://localhost:3000');
const groupId = process.env.GROUP_ID ?? 'hiking';
const insecure = issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined;
const config = await client.discovery(issuer, process.env.CLIENT_ID ?? 'my-web', process.env.CLIENT_SECRET, undefined, insecure);

const handoff = await client.genericGrantRequest(config, 'urn:ietf:params:oauth:grant-type:token-exchange', {
  subject_token: process.env.ACCESS_TOKEN ?? '',
  subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
  requested_token_type: 'urn:plaza:token-type:handoff-code',
  audience: 'plaza-h5',
  // At most what the backend's token holds; the page only reads.
  scope: 'messages:read',
});
// The code goes in the fragment, which browsers never send to a server or in a Referer.
console.log(`${config.serverMetadata().issuer}/h5/groups/${encodeURIComponent(groupId)}#code=${handoff.access_token}`);
