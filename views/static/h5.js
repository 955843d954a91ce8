// Plaza's H5 page. It makes its own non-extractable keys, trades the handoff code from the URL fragment for a
// view token (sent back encrypted to its ECDH key, bound to its signing key), and reads the group's messages.
import { compactDecrypt, exportJWK, SignJWT } from '/static/vendor/jose/index.js';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const HANDOFF_CODE = 'urn:plaza:token-type:handoff-code';
const status = document.getElementById('status');
const { group, clientId } = document.body.dataset;
// The server hands over the texts in the reader's language; `{name}` marks a value filled in here.
const texts = JSON.parse(document.body.dataset.texts);
const say = (key, params = {}) => texts[key].replace(/\{(\w+)\}/g, (all, name) => (name in params ? String(params[name]) : all));
const when = new Intl.DateTimeFormat(document.documentElement.lang, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

async function open() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  // The code is single-use, but it should not linger in history either.
  history.replaceState(null, '', location.pathname);
  const code = fragment.get('code');
  if (!code) throw new Error(say('h5.no_code'));

  const signing = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const receiving = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
  const signingJwk = await exportJWK(signing.publicKey);
  let nonce;

  const proof = (htm, htu, extra = {}) => new SignJWT({ htm, htu, jti: crypto.randomUUID(), ...(nonce ? { nonce } : {}), ...extra })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: signingJwk })
    .setIssuedAt()
    .sign(signing.privateKey);

  /** Sends a DPoP request, once more with the server's nonce if it asks for one. */
  async function dpopFetch(url, init, extra) {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const res = await fetch(url, { ...init, headers: { ...init.headers, DPoP: await proof(init.method ?? 'GET', url, extra) } });
      const next = res.headers.get('DPoP-Nonce');
      if (next) nonce = next;
      if (!(next && (res.status === 400 || res.status === 401))) return res;
    }
    throw new Error(say('h5.nonce_loop'));
  }

  const tokenUrl = `${location.origin}/token`;
  const answer = await dpopFetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: TOKEN_EXCHANGE, subject_token: code, subject_token_type: HANDOFF_CODE, client_id: clientId,
      response_encryption_jwk: JSON.stringify(await exportJWK(receiving.publicKey)),
    }),
  });
  if (!answer.ok) {
    const error = await answer.json().catch(() => ({}));
    throw new Error(say('h5.handoff_failed', { detail: error.error_description ?? answer.status }));
  }
  const { plaintext } = await compactDecrypt(await answer.text(), receiving.privateKey);
  const { access_token: viewToken } = JSON.parse(new TextDecoder().decode(plaintext));
  // Exposed for inspection: copied out of the page, the token is useless without the page's key.
  window.plazaH5 = { viewToken };

  const messagesUrl = `${location.origin}/api/groups/${encodeURIComponent(group)}/messages`;
  const ath = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(viewToken)));
  const res = await dpopFetch(messagesUrl, { headers: { authorization: `DPoP ${viewToken}` } }, { ath });
  if (!res.ok) throw new Error(say('h5.read_failed', { status: res.status }));
  const messages = await res.json();
  const list = document.getElementById('messages');
  // Threads: a reply goes under the message it answers when that message is shown, oldest reply first.
  const shown = new Map();
  for (const m of [...messages].reverse()) {
    const li = document.createElement('li');
    li.dataset.messageId = m.id;
    const text = document.createElement('p');
    text.textContent = m.text;
    const at = document.createElement('time');
    at.className = 'hint';
    at.dateTime = m.created_at;
    at.textContent = when.format(new Date(m.created_at));
    li.append(at, text);
    const parent = m.reply_to ? shown.get(m.reply_to) : undefined;
    if (parent) {
      let replies = parent.querySelector(':scope > ul.replies');
      if (!replies) {
        replies = document.createElement('ul');
        replies.className = 'replies';
        parent.append(replies);
      }
      replies.append(li);
      shown.set(m.id, parent);
    } else {
      list.prepend(li);
      shown.set(m.id, li);
    }
  }
  status.textContent = messages.length ? say('h5.count', { count: messages.length }) : say('h5.empty');
  document.body.dataset.ready = 'true';
}

open().catch((err) => {
  status.textContent = err.message;
  status.className = 'error';
  document.body.dataset.ready = 'error';
});
