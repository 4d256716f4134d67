// dredd's hooks for rackbootd's OpenAPI document (integration.openapi); what they change and why:
// - GET /api/v1/events is an endless Server-Sent Events stream, which dredd would wait on for
//   ever: excluded. Its history (GET /api/v1/events/history) is tested.
// - Only the 2xx responses are tested here: an example request cannot provoke a 4xx or a 503.
//   HEAD is not either: dredd 14 cannot send one (it always gives a request a body, which its
//   HTTP library refuses for HEAD: apiaryio/dredd#2280). Both are provoked, and every body
//   validated against the document, by openapi_check.py in the same test.
// - dredd 14's OpenAPI 3 parser drops a schema it does not fully read (allOf, readOnly,
//   additionalProperties, nullable) and then wants every property of a made-up example: each
//   response is checked against the document's own schema instead, as JSON Schema (nullable as a
//   "null" type, references resolved).
// - Every request carries the token (writes need it; reads ignore it) and no If-Match (the
//   examples know no ETag; the preconditions are tested by control.RestApiTest).
// - The examples' addresses (10.0.x.y) are moved into the test's subnet (RB_NET), and
//   {images_root} names the test's --images-root.
// - State the examples assume: the image DELETE removes is added again for the boards that
//   follow; the root POST needs its board back, on a disk image (the board DELETE removed it).
const hooks = require('hooks');
const http = require('http');
const fs = require('fs');

const env = process.env;
const [apiHost, apiPort] = env.RB_API.split(':');
const doc = JSON.parse(fs.readFileSync(env.RB_DOC, 'utf8'));

function call(method, path, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? '' : JSON.stringify(body);
    const req = http.request({host: apiHost, port: apiPort, method, path, headers: {
      'Authorization': 'Bearer ' + env.RB_TOKEN, 'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(data)}}, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => (res.statusCode < 300 ? resolve(text)
                                                : reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`))));
    });
    req.on('error', reject);
    req.end(data);
  });
}

function local(text) {
  return text.split('10.0.').join(env.RB_NET + '.').split('{images_root}').join(env.RB_IMAGES);
}

// The document's schema as JSON Schema: references resolved, nullable as a "null" type.
function jsonSchema(s) {
  if (Array.isArray(s)) return s.map(jsonSchema);
  if (s === null || typeof s !== 'object') return s;
  if (s.$ref) return jsonSchema(s.$ref.split('/').slice(1).reduce((o, k) => o[k], doc));
  const out = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'nullable' || k === 'readOnly' || k === 'example' || k === 'description') continue;
    out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v).map(([p, x]) => [p, jsonSchema(x)]))
                                : jsonSchema(v);
  }
  if (s.nullable) return {anyOf: [out, {type: 'null'}]};
  return out;
}

hooks.beforeEach((t, done) => {
  const path = t.request.uri.split('?')[0];
  if (path === '/api/v1/events' || !String(t.expected.statusCode).startsWith('2') || t.request.method === 'HEAD') {
    t.skip = true;
    return done();
  }
  t.request.headers['Authorization'] = 'Bearer ' + env.RB_TOKEN;
  delete t.request.headers['If-Match'];
  t.request.uri = local(t.request.uri);
  t.fullPath = local(t.fullPath);
  if (t.request.body) t.request.body = local(t.request.body);
  const op = doc.paths[t.origin.resourceName][t.request.method.toLowerCase()];
  const response = jsonSchema(op.responses[t.expected.statusCode]);
  const json = response.content && response.content['application/json'];
  if (json) t.expected.bodySchema = JSON.stringify(jsonSchema(json.schema));
  done();
});

hooks.beforeEach((t, done) => {
  if (t.skip || t.request.method !== 'POST' || !/^\/api\/v1\/boards\/[^/]+\/root$/.test(t.request.uri)) return done();
  call('POST', '/api/v1/boards', {serial: '8f3a21c0', image: 'disk', macs: ['dc:a6:32:01:02:03']})
    .then(() => done(), (e) => { t.fail = String(e); done(); });
});

hooks.afterEach((t, done) => {
  if (t.skip || t.request.method !== 'DELETE' || !t.request.uri.startsWith('/api/v1/images/')) return done();
  call('POST', '/api/v1/images', {name: 'raspios-2026-11', kind: 'dir', path: env.RB_IMAGES + '/raspios-2026-11'})
    .then(() => done(), (e) => { t.fail = String(e); done(); });
});
