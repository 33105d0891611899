// An independent OAuth 2.0 / OpenID Connect server (the npm package oidc-provider, which
// Skybridge did not write), configured as the peer for Skybridge's sign-in client tests:
// device code, client credentials, and authorization code with PKCE for a native client.
//
//   node server.mjs            listens on 127.0.0.1 (a free port) and prints one JSON line:
//                              {"issuer": "...", "nativeClient": "...", "engineClient": "...", "engineSecret": "..."}
//
// Two test-only routes stand in for a person at a browser:
//   POST /test/approve-device  body user_code=...   signs in "admin" and approves that device code
//   GET  /interaction/:uid                          signs in "admin" and consents, for any browser sign-in
import { randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

// stdout carries exactly one line (where we listen); the library's own notices go to stderr.
const toStderr = (...parts) => process.stderr.write(`${parts.join(' ')}\n`);
console.log = toStderr;
console.info = toStderr;
console.warn = toStderr;

const engineSecret = randomBytes(24).toString('base64url');
const configuration = {
  clients: [
    {
      client_id: 'skybridge-native',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/'],
    },
    {
      client_id: 'skybridge-engine',
      client_secret: engineSecret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: 'directory.write',
    },
  ],
  scopes: ['openid', 'offline_access', 'profile', 'directory.write'],
  claims: { openid: ['sub'], profile: ['name'] },
  features: {
    devInteractions: { enabled: false },
    deviceFlow: { enabled: true },
    clientCredentials: { enabled: true },
  },
  pkce: { required: () => true },
  issueRefreshToken: async (ctx, client, code) => client.grantTypeAllowed('refresh_token')
    && code.scopes.has('offline_access'),
  findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, name: sub }) }),
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  ttl: { AccessToken: 300, DeviceCode: 600 },
  cookies: { keys: [randomBytes(16).toString('hex')] },
};

const provider = new Provider('http://127.0.0.1', configuration);

async function grantFor(accountId, clientId, scope) {
  const grant = new provider.Grant({ accountId, clientId });
  grant.addOIDCScope(scope);
  return grant.save();
}

provider.use(async (ctx, next) => {
  if (ctx.method === 'POST' && ctx.path === '/test/approve-device') {
    const raw = await new Promise((resolve) => {
      let body = '';
      ctx.req.on('data', (chunk) => { body += chunk; });
      ctx.req.on('end', () => resolve(body));
    });
    const userCode = new URLSearchParams(raw).get('user_code') || '';
    const code = await provider.DeviceCode.findByUserCode(userCode.replace(/[^A-Z0-9]/gi, '').toUpperCase());
    if (!code) {
      ctx.status = 404;
      ctx.body = 'no such user code';
      return;
    }
    const scope = code.params.scope || 'openid';
    Object.assign(code, {
      accountId: 'admin',
      authTime: Math.floor(Date.now() / 1000),
      grantId: await grantFor('admin', code.clientId, scope),
      scope,
    });
    await code.save();
    ctx.body = 'approved';
    return;
  }
  if (ctx.method === 'GET' && ctx.path.startsWith('/interaction/')) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const grantId = await grantFor('admin', details.params.client_id, details.params.scope || 'openid');
    ctx.respond = false;
    await provider.interactionFinished(ctx.req, ctx.res, {
      login: { accountId: 'admin' },
      consent: { grantId },
    }, { mergeWithLastSubmission: false });
    return;
  }
  await next();
});

const server = provider.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  // The issuer names the port only once it is known.
  provider.issuer = issuer;
  process.stdout.write(`${JSON.stringify({
    issuer, nativeClient: 'skybridge-native', engineClient: 'skybridge-engine', engineSecret,
  })}\n`);
});

// Stop with the test that started us: when our stdin closes.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
