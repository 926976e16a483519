#!/usr/bin/env node
// Schema-server parity (issue 18), a stage of `make test` run against the real server after
// the API tests and the smoke test. For every operation of openapi.yaml it builds a valid
// request (from the contract's examples and schemas, filled with objects of its own) and
// invalid variants, each breaking one constraint of the contract (a required member missing,
// a wrong type, a blank or too long string, a number out of range, an unknown enum value or
// member, a bad path or query value, a rule that depends on another member). Each request is
// judged twice: by a JSON Schema 2020-12 validator (ajv) against the operation's parameters
// and body schema, and by the server. The verdicts must agree:
//
//   schema rejects  <=>  the server refuses the input: 400, 413, 415 or 422 (REFUSED below;
//                        for a path value outside its template 404 too: it names no resource)
//   schema accepts  <=>  the server answers 2xx/304
//
// Answers that need the database to decide (a missing object's 404, a state conflict's 409,
// a role's 403, field errors that look objects up) say nothing about the schema: they are
// excluded by the reviewed list EXCLUDED below, and every exclusion is printed ("# excluded").
// Prints "not ok - <operation> <variant>: schema says X, server says Y" per disagreement and
// a closing "N passed, N failed".
//
// Environment: SD_BASE_URL (the server), DATABASE_URL (psql finds objects of the API tests'
// users), PARITY_BUDGET_S (100: past it the remaining operations are a failure, not skipped
// silently), PARITY_MAX_VARIANTS (a sample: the valid request and that many minus one invalid
// variants per operation; all by default), PARITY_VERBOSE=1 prints every agreement and
// exclusion too. About 1 650 requests: 3–4 s against the release build, 15 s under valgrind.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import YAML from 'yaml';
import { execFileSync } from 'node:child_process';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BASE = process.env.SD_BASE_URL || 'http://127.0.0.1:8080';
const MAX_VARIANTS = parseInt(process.env.PARITY_MAX_VARIANTS || '0', 10);
const BUDGET_S = parseInt(process.env.PARITY_BUDGET_S || '100', 10);
const VERBOSE = process.env.PARITY_VERBOSE === '1';
const DEMO_PASSWORD = 'demo-password-1';
const RUN = `${Date.now().toString(36)}${process.pid.toString(36)}`;
const MISSING_ID = 9000000000000000001n.toString(); // a valid id that names nothing
const NO_SUCH_ITEM = 900000000000001; // the same in a body (a safe integer for JSON)

// Statuses that mean "the input was refused": malformed or invalid (400), too large (413),
// an undeclared media type (415), well-formed but not applicable (422; the 422s that judge
// content rather than shape are excluded below).
const REFUSED = new Set([400, 413, 415, 422]);

// ---- The exclusion list (reviewed). Each entry: when it applies and why the schema cannot
// know. An answer that matches one is printed as "# excluded" and counted apart.
const DB_FIELD_CODES = new Set([
  'not_found', // an id in the body names no object (of the caller's): a lookup
  'wrong_role', // user_id of a user whose role does not fit: a lookup
  'not_in_future', // a date-time must be in the future: the clock, not the schema
  'template_limit_reached', // per-account count
  'not_about_product', // a chat's context: a lookup
  'webhook_url_not_allowed', // the URL's host resolves to a refused address: DNS
  'in_the_past', // a promotion's date_start: the clock
  'invalid_range', // one date against another, given or stored (a promotion's dates, a list's days)
]);
const EXCLUDED = [
  { why: 'credentials (401 on log-in, refresh, log-out) are checked against the database',
    when: (r) => r.status === 401 && /^(login|refreshTokens|logout)$/.test(r.op) },
  { why: 'a role refusal (403) comes before the input is read; roles are not in the schema',
    when: (r) => r.status === 403 },
  { why: 'a missing or foreign object (404) is a database outcome',
    when: (r) => r.status === 404 },
  // (a conflict may be found before the rest of the body is checked: a posting's second review
  // is 409 before its media are looked up, so an invalid body may get it too)
  { why: 'a state conflict (409) is a database outcome', when: (r) => r.status === 409 },
  { why: 'a 422 on what the request says, not its shape: content_violation (the content-safety' +
      ' engine), webhook_url_not_allowed (where the host resolves), file_type_mismatch (the bytes),' +
      ' idempotency_key_reused (a stored key)',
    when: (r) => r.status === 422 &&
      ['content_violation', 'webhook_url_not_allowed', 'file_type_mismatch', 'idempotency_key_reused'].includes(r.code) },
  // (only where the schema accepts: a 400 for an input the schema rejects is agreement)
  { why: 'field errors that need a lookup, the clock or DNS (' + [...DB_FIELD_CODES].join(', ') + ')',
    when: (r) => r.status === 400 && r.schemaOk && r.fieldCodes.length > 0 &&
      r.fieldCodes.every((c) => DB_FIELD_CODES.has(c)) },
  { why: 'too many requests (429) or the database busy (503): retry conditions, not verdicts',
    when: (r) => r.status === 429 || r.status === 503 },
  // startChat: which members a kind needs or refuses also depends on the caller's role (the
  // table in the operation's description); the schema holds the union over roles
  { why: 'startChat: a member allowed for another role of the same kind (role-dependent)',
    when: (r) => r.op === 'startChat' && r.status === 400 &&
      r.fieldCodes.every((c) => c === 'not_allowed' || c === 'required') && r.schemaOk },
  // OpenAPI describes each query parameter by its own schema: no schema can relate two of them
  // (both descriptions state the rule)
  { why: 'two query parameters compared (date_from after date_to; before, after, cursor together): not expressible per parameter',
    when: (r) => /date_from after date_to|(before|after) and (after|cursor) together/.test(r.variant) && r.status === 400 && r.schemaOk },
  // updateNotificationSettings: which events a role receives, and which of them are mandatory,
  // is the registry's (src/notify.c); the schema names every event of every role
  { why: 'updateNotificationSettings: an event of another role or a mandatory one (422 invalid_settings)',
    when: (r) => r.op === 'updateNotificationSettings' && r.status === 422 && r.schemaOk &&
      r.fieldCodes.every((c) => c === 'unknown_event' || c === 'mandatory') },
  // listChats: `assigned` is support's filter (400 for others), a role rule
  { why: 'listChats: `assigned` is for support only (role-dependent)',
    when: (r) => r.op === 'listChats' && /assigned/.test(r.variant) && r.status === 400 && r.schemaOk },
];

// ---- The contract
const spec = YAML.parse(fs.readFileSync(path.join(HERE, '../../openapi.yaml'), 'utf8'));
const ajv = new Ajv2020({ strict: false, allErrors: false, validateSchema: false });
addFormats(ajv);
for (const f of ['int32', 'int64', 'password', 'binary', 'byte', 'float', 'double'])
  ajv.addFormat(f, true);
ajv.addSchema(spec, 'openapi');
const compiled = new Map();
function validator(schema) {
  const key = JSON.stringify(schema);
  if (!compiled.has(key)) {
    const wrapped = JSON.parse(JSON.stringify(schema, (k, v) =>
      k === '$ref' && typeof v === 'string' && v.startsWith('#') ? 'openapi' + v : v));
    compiled.set(key, ajv.compile(wrapped));
  }
  return compiled.get(key);
}
function resolve(node) {
  while (node && node.$ref) node = node.$ref.slice(2).split('/').reduce((a, k) => a[k], spec);
  return node;
}
// A schema's members: allOf merged; a oneOf/anyOf is read through the branch `pick` chooses.
function shape(schema, pick) {
  schema = resolve(schema);
  let props = {}, required = new Set(), closed = schema.additionalProperties === false;
  const branches = schema.oneOf || schema.anyOf;
  for (const part of [...(schema.allOf || []), ...(branches ? [pick(branches.map(resolve))] : [])]) {
    const s = shape(part, pick);
    Object.assign(props, s.props); s.required.forEach((r) => required.add(r)); closed ||= s.closed;
  }
  for (const [k, v] of Object.entries(schema.properties || {})) props[k] = resolve(v);
  (schema.required || []).forEach((r) => required.add(r));
  return { props, required, closed };
}
// The scalar schema of a member: its first non-null type, after $ref and a oneOf/anyOf.
function scalar(s) {
  s = resolve(s);
  const alt = s.oneOf || s.anyOf;
  if (alt) {
    const b = alt.map(resolve).find((x) => x.type !== 'null');
    if (b) s = { ...b, ...s, oneOf: undefined, anyOf: undefined };
  }
  let t = s.type;
  if (Array.isArray(t)) t = t.find((x) => x !== 'null');
  if (!t && s.enum) t = typeof s.enum[0] === 'number' ? 'integer' : 'string';
  if (!t && s.const !== undefined) t = typeof s.const;
  return { ...s, t };
}

// ---- Requests
async function send(method, target, { token, body, contentType } = {}) {
  const headers = {};
  if (token) headers.Authorization = 'Bearer ' + token;
  if (body !== undefined) headers['Content-Type'] = contentType || 'application/json';
  const payload = body === undefined ? undefined
    : typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  for (let attempt = 0; ; attempt++) {
    // (a request answered with an event stream never ends: 20 s, then no answer)
    let res, text;
    try {
      res = await fetch(BASE + target, { method, headers, body: payload, redirect: 'manual',
        signal: AbortSignal.timeout(20000) });
      text = await res.text();
    } catch (e) {
      return { status: 0, json: null, text: `no answer: ${e.name}` };
    }
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    if ((res.status === 429 || res.status === 503) && attempt < 3) {
      const wait = Math.min(parseInt(res.headers.get('retry-after') || '1', 10), 3);
      await new Promise((r) => setTimeout(r, wait * 1000 + 100));
      continue;
    }
    return { status: res.status, json, text };
  }
}
async function loginPair(email, password) {
  const r = await send('POST', '/v1/auth/login', { body: { email, password } });
  if (r.status !== 200) throw new Error(`login ${email}: ${r.status} ${r.text}`);
  return r.json;
}
const login = async (email, password) => (await loginPair(email, password)).access_token;
async function account(role) {
  const email = `parity-${role}-${RUN}@example.com`;
  const r = await send('POST', '/v1/auth/register', {
    body: { email, password: DEMO_PASSWORD, role, display_name: `Parity ${role}` } });
  if (r.status !== 201) throw new Error(`register ${role}: ${r.status} ${r.text}`);
  return { token: await login(email, DEMO_PASSWORD), id: r.json.id ?? r.json.user?.id, email };
}

// Who calls each operation (buyer when not listed). listOrders: the seller, whose list (postings)
// takes the `status` filter; createReviewComment: the product's seller, whose comment may take
// `mark_processed` (the contract's example does; a buyer's may not); updateNotificationSettings:
// a seller, whose event the example names.
const SELLER_OPS = /^(createProduct|updateProduct|createAnswer|countQuestions|setQuestionsStatus|countReviews|setReviewsStatus|createReviewComment|listPromotions|getPromotion|listPromotionProducts|createReviewComplaint|deleteAnswer|listPromotionCandidates|addPromotionProducts|removePromotionProducts|changePostingStatus|listOrders|updateNotificationSettings|.*Template.*|.*ApiKey.*|.*Webhook.*)$/;
const SUPPORT_OPS = /^(createPromotion|updatePromotion|endPromotion|listOffenders|listModerationQueue|decideModeration|createBroadcast|.*ChatRestriction)$/;
const roleOf = (op) => SELLER_OPS.test(op) ? 'seller' : SUPPORT_OPS.test(op) ? 'support' : 'buyer';
// Valid requests of these are judged by the schema only and never sent: their effect reaches
// beyond the check's own accounts (a broadcast notifies every user; later stages deliver it).
// (A promotion is made for the check's own seller only: see ownPromotion.)
const NOT_SENT = new Set(['createBroadcast']);
// Operations whose rules depend on the role run as these roles too (after roleOf's).
const OTHER_ROLES = { startChat: ['seller', 'support'] };

function operations() {
  const out = [];
  for (const [p, item] of Object.entries(spec.paths))
    for (const m of ['get', 'post', 'put', 'patch', 'delete']) {
      if (!item[m]) continue;
      const op = item[m];
      const params = [...(item.parameters || []), ...(op.parameters || [])].map(resolve)
        .filter((x) => x.in !== 'header');
      out.push({ method: m.toUpperCase(), path: p, op, id: op.operationId, params });
    }
  return out;
}

// Coerces a query or path value as OpenAPI's simple/form style does for its schema.
function coerce(value, schema) {
  const s = scalar(schema);
  if (s.t === 'array') return value.split(',').map((v) => coerce(v, s.items || {}));
  if ((s.t === 'integer' || s.t === 'number') && /^-?\d+(\.\d+)?$/.test(value)) {
    const n = Number(value);
    return Number.isSafeInteger(n) || !/^-?\d+$/.test(value) ? n : value.startsWith('-') ? -(2 ** 63) - 2048 : 2 ** 63;
  }
  if (s.t === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}
function paramsValid(params, where, values) {
  const props = {}, required = [], data = {};
  for (const p of params.filter((x) => x.in === where)) {
    props[p.name] = p.schema;
    if (p.required) required.push(p.name);
    if (values[p.name] !== undefined) data[p.name] = coerce(values[p.name], p.schema);
  }
  for (const k of Object.keys(values)) if (!(k in props)) return false; // unknown parameter
  const v = validator({ type: 'object', properties: props, required });
  return v(data);
}

// ---- Valid values
function sampleValue(s, name) {
  s = scalar(s);
  if (s.examples?.length) return s.examples[0];
  if (s.example !== undefined) return s.example;
  if (s.const !== undefined) return s.const;
  if (s.enum) return s.enum.find((x) => x !== null);
  switch (s.t) {
    case 'integer': return Math.max(s.minimum ?? 1, 1);
    case 'number': return s.minimum ?? 1;
    case 'boolean': return true;
    case 'array': return [];
    case 'object': return {};
    default:
      if (s.format === 'date') return '2026-01-01';
      if (s.format === 'date-time') return '2027-01-01T00:00:00Z';
      if (s.format === 'email') return `x-${RUN}@example.com`;
      if (s.format === 'uri') return 'https://example.com/hook';
      return 'Parity ' + (name || 'text').padEnd(Math.max(s.minLength ?? 1, 1), 'x').slice(0, s.maxLength ?? 100);
  }
}
function mediaExamples(media) {
  const ex = [];
  if (media?.example !== undefined) ex.push(media.example);
  for (const e of Object.values(media?.examples || {})) if (resolve(e).value !== undefined) ex.push(resolve(e).value);
  return ex;
}

// ---- Fixtures. Valid requests go to objects of the check's own accounts (made here from
// the contract's examples), so they reach the handlers' checks and change nothing the later
// stages rely on. Where the check has no object of its own, invalid requests go to an object
// of the demo data (the demo account of the operation's role): the server refuses them and
// changes nothing, as in the hostile suite; the valid request then goes to an id that names
// nothing (a 404, excluded) unless it is a GET.
const example = (p, m) => mediaExamples(resolve(spec.paths[p][m].requestBody).content['application/json'])[0];
async function fixtures(tok) {
  const f = { own: {}, demo: {} };
  const made = async (key, r) => { if (r && r.status < 300) f.own[key] = r.json.id; else console.log(`# no ${key} of the check's own: ${r?.status} ${r?.text?.slice(0, 200)}`); };
  await made('products', await send('POST', '/v1/products', { token: tok.seller,
    body: { ...example('/v1/products', 'post'), offer_id: `PARITY-${RUN}` } }));
  if (f.own.products) {
    await made('questions', await send('POST', `/v1/products/${f.own.products}/questions`,
      { token: tok.buyer, body: example('/v1/products/{id}/questions', 'post') }));
    await made('chats', await send('POST', '/v1/chats',
      { token: tok.buyer, body: { kind: 'buyer_seller', product_id: f.own.products } }));
  }
  if (f.own.chats) {
    const m = await send('POST', `/v1/chats/${f.own.chats}/messages`, { token: tok.buyer, body: { text: 'Is it in stock?' } });
    if (m.status < 300) f.message = m.json.id;
  }
  // an order of the product, delivered, with a review (and a comment on it) and a dispute
  const order = f.own.products && await send('POST', '/v1/orders', { token: tok.buyer,
    body: { items: [{ product_id: f.own.products, quantity: 2 }] } });
  const pn = order?.status === 201 ? order.json.postings?.[0]?.posting_number : null;
  if (pn) {
    f.own.postings = pn;
    for (const status of ['delivering', 'delivered'])
      await send('POST', `/v1/postings/${pn}/status`, { token: tok.seller, body: { status } });
    await made('reviews', await send('POST', '/v1/reviews', { token: tok.buyer, body: {
      ...example('/v1/reviews', 'post'), posting_number: pn, product_id: f.own.products, media: undefined } }));
    await made('disputes', await send('POST', '/v1/disputes', { token: tok.buyer, body: {
      posting_number: pn, reason: 'wrong_item', text: 'Black tea arrived instead of green.', requested: 'replacement' } }));
  } else console.log(`# no order of the check's own: ${order?.status} ${order?.text?.slice(0, 200)}`);
  if (f.own.reviews)
    await made('review-comments', await send('POST', `/v1/reviews/${f.own.reviews}/comments`,
      { token: tok.buyer, body: { text: 'Still happy with it a week later.' } }));
  // a promotion open to the check's own seller only, months ahead: nobody else sees it or
  // hears of it during the tests
  await made('promotions', await send('POST', '/v1/promotions', { token: tok.support, body: ownPromotion(tok) }));
  await made('templates', await send('POST', '/v1/templates', { token: tok.seller, body: example('/v1/templates', 'post') }));
  await made('webhooks', await send('POST', '/v1/webhooks', { token: tok.seller, body: example('/v1/webhooks', 'post') }));
  await made('api-keys', await send('POST', '/v1/api-keys', { token: tok.seller, body: example('/v1/api-keys', 'post') }));
  f.own.users = tok.buyerId;
  f.sellerId = tok.sellerId;
  // refresh tokens of the check's own buyer, one for refreshing and one for logging out
  f.refresh = [(await loginPair(tok.buyerEmail, DEMO_PASSWORD)).refresh_token,
    (await loginPair(tok.buyerEmail, DEMO_PASSWORD)).refresh_token];
  // objects of others (the demo data and the API tests' users): [kind, role] -> the object
  // and its owner, who logs in (the API tests' password, or the demo one)
  const byOwner = (table, id, owner, extra = '') => `select t.${id}, u.email from ${table} t join users u on u.id = t.${owner}` +
    ` where u.role = '${owner.replace(/_id$/, '').replace('author', 'buyer').replace('uploader', 'buyer').replace('user', 'buyer')}' ${extra} order by t.${id} limit 1`;
  const demo = {
    reviews: { buyer: byOwner('reviews', 'id', 'buyer_id', 'and t.deleted_at is null and t.removed_at is null'),
      seller: byOwner('reviews', 'id', 'seller_id', 'and t.deleted_at is null and t.removed_at is null') },
    'review-comments': { buyer: byOwner('review_comments', 'id', 'author_id', 'and t.deleted_at is null') },
    disputes: { buyer: byOwner('disputes', 'id', 'buyer_id'), seller: byOwner('disputes', 'id', 'seller_id') },
    promotions: { support: `select id, 'support@demo.sellerdesk.dev' from promotions where ended_at is null order by id limit 1`,
      seller: `select id, 'seller1@demo.sellerdesk.dev' from promotions where ended_at is null order by id limit 1` },
    postings: { buyer: byOwner('postings', 'posting_number', 'buyer_id'), seller: byOwner('postings', 'posting_number', 'seller_id') },
    answers: { seller: byOwner('answers', 'id', 'seller_id', 'and t.deleted_at is null') },
    notifications: { buyer: byOwner('notifications', 'id', 'user_id') },
    files: { buyer: byOwner('files', 'id', 'uploader_id') },
    'webhook-deliveries': { seller: byOwner('webhook_deliveries', 'id', 'seller_id') },
  };
  const tokens = new Map();
  for (const [kind, byRole] of Object.entries(demo))
    for (const [role, q] of Object.entries(byRole)) {
      const row = psql(q);
      if (!row) continue;
      const [id, email] = row.split('|');
      if (!tokens.has(email))
        tokens.set(email, await login(email, email.endsWith('@demo.sellerdesk.dev') ? DEMO_PASSWORD : 'correct horse battery').catch(() => null));
      if (tokens.get(email)) f.demo[`${kind}:${role}`] = { id, token: tokens.get(email) };
    }
  return f;
}
function ownPromotion(tok) {
  return { ...example('/v1/promotions', 'post'), date_start: '2027-06-01T00:00:00Z', date_end: '2027-06-30T00:00:00Z',
    freeze_date: '2027-06-15T00:00:00Z', audience: 'sellers', seller_ids: [tok.sellerId] };
}
function psql(q) {
  if (!process.env.DATABASE_URL) return null;
  try {
    return execFileSync('psql', [process.env.DATABASE_URL, '-qAtX', '-c', q], { encoding: 'utf8' }).trim() || null;
  } catch { return null; }
}
// Where an operation's requests go: {token, valid: path id, invalid: path id}.
function targets(o, role, tok, f) {
  const kind = o.path.split('/')[2];
  if (f.own[kind] !== undefined) return { token: tok[role], valid: String(f.own[kind]), invalid: String(f.own[kind]) };
  const d = f.demo[`${kind}:${role}`];
  if (d) return { token: d.token, valid: o.method === 'GET' ? d.id : MISSING_ID, invalid: d.id };
  return { token: tok[role], valid: MISSING_ID, invalid: MISSING_ID };
}
// Bodies the contract's examples cannot give (they name objects of the demo data).
function bodyOverrides(id, role, f) {
  const o = {
    login: [{ email: 'buyer2@demo.sellerdesk.dev', password: DEMO_PASSWORD }],
    refreshTokens: [{ refresh_token: f.refresh[0] }],
    logout: [{ refresh_token: f.refresh[1] }],
    registerUser: [{ email: `parity-r-${RUN}@example.com`, password: DEMO_PASSWORD, role: 'buyer', display_name: 'Parity R' }],
    createProduct: [{ ...example('/v1/products', 'post'), offer_id: `PARITY2-${RUN}` }],
    createOrder: [{ items: [{ product_id: f.own.products ?? 1, quantity: 1 }] }],
    startChat: {
      buyer: [{ kind: 'buyer_seller', product_id: f.own.products ?? 1 },
        { kind: 'buyer_support', topic: 'Where is my refund?' }],
      seller: [{ kind: 'buyer_seller', posting_number: f.own.postings ?? '10000001-0001', reason: 'availability' },
        { kind: 'seller_support', topic: 'Payout for October' }],
      support: [{ kind: 'buyer_support', user_id: f.own.users ?? 1, topic: 'Your refund request' },
        { kind: 'seller_support', user_id: f.sellerId ?? 1, topic: 'Your payout' }],
    }[role],
    markChatRead: [{ up_to_message_id: f.message ?? 1 }],
    createPromotion: [ownPromotion({ sellerId: f.sellerId })],
    // the example's change, moved to the check's own promotion's month
    updatePromotion: [{ date_end: '2027-06-25T00:00:00Z', max_discount_percent: 60 }],
    // the contract's examples on the check's own delivered posting (which has its review and
    // dispute already: a valid request is a 409, an invalid one a 400 before any lookup)
    createReview: f.own.postings && [{ ...example('/v1/reviews', 'post'), posting_number: f.own.postings,
      product_id: f.own.products, media: undefined }],
    openDispute: f.own.postings && mediaExamples(resolve(spec.paths['/v1/disputes'].post.requestBody).content['application/json'])
      .map((e) => ({ ...e, posting_number: f.own.postings, media: undefined,
        ...(e.items ? { items: e.items.map((it) => ({ ...it, product_id: f.own.products })) } : {}) })),
    decideModeration: [{ kind: 'answer', id: NO_SUCH_ITEM, decision: 'reject', reason: 'Not informative' },
      { items: [{ kind: 'question', id: NO_SUCH_ITEM, decision: 'approve' }] }],
  };
  return o[id];
}

// A valid request that creates something unique gets a value of its own, so that it is judged
// on its shape and not refused as a duplicate (409) of the one before.
let serial = 0;
function fresh(id, body) {
  if (!body || typeof body !== 'object') return body;
  if (id === 'createProduct' && typeof body.offer_id === 'string') return { ...body, offer_id: `P-${RUN}-${++serial}` };
  if (id === 'registerUser' && typeof body.email === 'string') return { ...body, email: `parity-r-${RUN}-${++serial}@example.com` };
  return body;
}

// ---- Invalid variants of a body: each breaks one constraint
function* nestedVariants(obj, schema) {
  const pick = (branches) => branches.find((b) => validator(b)(obj)) || branches[0];
  const { props, required, closed } = shape(schema, pick);
  if (closed) yield ['with an unknown member', { ...obj, zz_unknown: 1 }];
  for (const [k, ps] of Object.entries(props))
    if (obj[k] !== undefined || required.has(k)) yield* memberVariants(obj, k, ps, required.has(k), 1);
}
function* memberVariants(base, name, s, required, depth = 0) {
  s = scalar(s);
  const put = (v) => ({ ...base, [name]: v });
  const without = { ...base };
  delete without[name];
  // an optional member left out must be accepted as well: the server requires no more
  if (required) yield [`without required ${name}`, without];
  else if (base[name] !== undefined && depth === 0) yield [`without optional ${name}`, without];
  if (s.t === 'string') {
    yield [`${name} of the wrong type (number)`, put(12345)];
    if (s.enum) yield [`${name} not one of its values`, put('zz_not_a_value')];
    if (!s.enum && !s.format) {
      const n = Math.min(Math.max(s.minLength ?? 3, 3), s.maxLength ?? 3);
      yield [`${name} blank (spaces)`, put(' '.repeat(n))];
      yield [`${name} blank (tab, newline)`, put('\t\n \t'.slice(0, Math.max(n, 1)).padEnd(n, ' '))];
    }
    if (s.minLength > 1) yield [`${name} shorter than ${s.minLength}`, put('x'.repeat(s.minLength - 1))];
    if (s.minLength === 1) yield [`${name} empty`, put('')];
    if (s.maxLength !== undefined && s.maxLength < 100000) yield [`${name} longer than ${s.maxLength}`, put('y'.repeat(s.maxLength + 1))];
    if (s.format === 'date-time' || s.format === 'date') yield [`${name} not a ${s.format}`, put('yesterday')];
    if (s.format === 'email') yield [`${name} not an e-mail address`, put('no-at-sign.example.com')];
  } else if (s.t === 'integer' || s.t === 'number') {
    yield [`${name} of the wrong type (string)`, put('12')];
    if (s.t === 'integer') yield [`${name} not whole`, put(1.5)];
    if (s.minimum !== undefined) yield [`${name} below ${s.minimum}`, put(s.minimum - 1)];
    if (s.maximum !== undefined && s.maximum < 2 ** 53) yield [`${name} above ${s.maximum}`, put(s.maximum + 1)];
  } else if (s.t === 'boolean') {
    yield [`${name} of the wrong type (string)`, put('true')];
  } else if (s.t === 'array') {
    yield [`${name} of the wrong type (string)`, put('x')];
    if (s.minItems) yield [`${name} with fewer than ${s.minItems} items`, put([])];
    const it = s.items ? scalar(s.items) : {};
    const one = Array.isArray(base[name]) && base[name].length ? base[name][0] : sampleValue(it, name);
    if (s.maxItems !== undefined && s.maxItems < 1000) {
      const many = it.t === 'integer' ? Array.from({ length: s.maxItems + 1 }, (_, i) => i + 1)
        : it.enum ? null : Array.from({ length: s.maxItems + 1 }, (_, i) => typeof one === 'string' ? one + i : one);
      if (many) yield [`${name} with more than ${s.maxItems} items`, put(many)];
    }
    if (s.uniqueItems && one !== undefined) yield [`${name} with a repeated item`, put([one, one])];
    // one level down: the first item's own members
    if (one && typeof one === 'object' && !Array.isArray(one) && depth === 0)
      for (const [label, obj] of nestedVariants(one, s.items))
        yield [`${name}[0] ${label}`, put([obj, ...base[name].slice(1)])];
    if (it.t && it.t !== 'object') yield [`${name} with an item of the wrong type`, put([it.t === 'string' ? 12345 : 'x'])];
    if (it.enum) yield [`${name} with an unknown item`, put(['zz_not_a_value'])];
  } else if (s.t === 'object') {
    yield [`${name} of the wrong type (string)`, put('x')];
    if (base[name] && typeof base[name] === 'object' && !Array.isArray(base[name]) && depth === 0)
      for (const [label, obj] of nestedVariants(base[name], s))
        yield [`${name}.${label}`, put(obj)];
  }
  if (!(Array.isArray(s.type) && s.type.includes('null')) && s.t && base[name] !== undefined)
    yield [`${name} null`, put(null)];
}
function* bodyVariants(base, schema, id) {
  const pick = (branches) => branches.find((b) => validator(b)(base)) || branches[0];
  const { props, required, closed } = shape(schema, pick);
  if (required.size) yield ['{}', {}];
  if (closed) yield ['an unknown member', { ...base, zz_unknown: 1 }];
  for (const [name, s] of Object.entries(props)) {
    // members the base leaves out are tried too: a rule may hold only when they are there
    const b = base[name] === undefined && !required.has(name) ? { ...base, [name]: sampleValue(s, name) } : base;
    yield* memberVariants(b, name, s, required.has(name));
  }
  yield* (DEPENDENT[id] || (() => []))(base);
}
// Rules between members (issue 18's list), tried on every operation they concern.
const DEPENDENT = {
  startChat: function* () {
    yield ['kind only (buyer_seller needs a posting or a product)', { kind: 'buyer_seller' }];
    yield ['buyer_support without topic', { kind: 'buyer_support' }];
    yield ['seller_support without topic', { kind: 'seller_support' }];
    yield ['buyer_seller with both posting_number and product_id', { kind: 'buyer_seller', product_id: 1, posting_number: '10000001-0001' }];
    yield ['buyer_seller with a topic', { kind: 'buyer_seller', product_id: 1, topic: 'Something' }];
    yield ['buyer_support with a product_id', { kind: 'buyer_support', topic: 'Something else', product_id: 1 }];
    yield ['buyer_support with a blank topic', { kind: 'buyer_support', topic: '    ' }];
  },
  sendChatMessage: function* () {
    yield ['{} (text, attachments or template needed)', {}];
    yield ['text with template_id', { text: 'Hello there', template_id: 1 }];
    yield ['empty attachment_ids alone', { attachment_ids: [] }];
  },
  decideModeration: function* () {
    // ids that name nothing: were one of these accepted, it would decide nothing
    const id = NO_SUCH_ITEM;
    yield ['reject without a reason', { kind: 'answer', id, decision: 'reject' }];
    yield ['reject with a null reason', { kind: 'answer', id, decision: 'reject', reason: null }];
    yield ['batch: reject without a reason', { items: [{ kind: 'answer', id, decision: 'reject' }] }];
    yield ['batch: empty', { items: [] }];
    yield ['a single decision and a batch at once', { kind: 'answer', id, decision: 'approve', items: [] }];
    yield ['batch: blank reason', { items: [{ kind: 'answer', id, decision: 'reject', reason: '    ' }] }];
  },
};

// ---- Query variants
function* queryVariants(params) {
  yield ['unknown query parameter', { zz_unknown: '1' }];
  for (const p of params.filter((x) => x.in === 'query')) {
    const s = scalar(p.schema), n = p.name;
    if (s.t === 'integer') {
      yield [`${n}=abc`, { [n]: 'abc' }];
      yield [`${n}=1.5`, { [n]: '1.5' }];
      if (s.minimum !== undefined) yield [`${n} below ${s.minimum}`, { [n]: String(s.minimum - 1) }];
      if (s.maximum !== undefined && s.maximum < 2 ** 53) yield [`${n} above ${s.maximum}`, { [n]: String(s.maximum + 1) }];
      yield [`${n} valid`, { [n]: String(sampleValue(s, n)) }];
    } else if (s.t === 'boolean' || (s.enum && s.enum.includes('true'))) {
      yield [`${n}=true`, { [n]: 'true' }];
      yield [`${n}=false`, { [n]: 'false' }];
      yield [`${n}=1`, { [n]: '1' }];
      yield [`${n}=yes`, { [n]: 'yes' }];
    } else if (s.t === 'array') {
      const it = scalar(s.items || {});
      yield [`${n} valid`, { [n]: String(sampleValue(it, n)) }];
      if (it.enum) yield [`${n} with an unknown item`, { [n]: 'zz_not_a_value' }];
    } else if (s.enum) {
      yield [`${n} valid`, { [n]: String(s.enum[0]) }];
      yield [`${n} not one of its values`, { [n]: 'zz_not_a_value' }];
    } else if (s.t === 'string' && n !== 'cursor') {
      if (s.format === 'date') {
        yield [`${n} valid`, { [n]: '2026-01-01' }];
        yield [`${n} not a date`, { [n]: '2026-13-45' }];
      } else {
        yield [`${n} valid`, { [n]: String(sampleValue(s, n)) }];
        yield [`${n} blank`, { [n]: '   ' }];
        if (s.pattern?.startsWith('^')) yield [`${n} not matching its pattern`, { [n]: 'x y' }];
      }
      if (s.maxLength !== undefined && s.maxLength < 4000) yield [`${n} longer than ${s.maxLength}`, { [n]: 'y'.repeat(s.maxLength + 1) }];
    } else if (s.t === 'string' && n === 'cursor') {
      yield ['cursor empty (the first page)', { cursor: '' }];
      yield ['cursor outside its alphabet', { cursor: 'abc.def' }];
      yield ['cursor longer than 127', { cursor: 'a'.repeat(128) }];
    }
  }
}
const DEPENDENT_QUERY = {
  listChatMessages: function* () {
    yield ['before and after together', { before: '5', after: '3' }];
    yield ['before and cursor together', { before: '5', cursor: 'abc' }];
    yield ['after and cursor together', { after: '3', cursor: 'abc' }];
  },
  listQuestions: function* () {
    yield ['date_from after date_to', { date_from: '2026-02-01', date_to: '2026-01-01' }];
  },
};
const qs = (o) => Object.keys(o).length ? '?' + Object.entries(o).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&') : '';

// ---- One operation
function serverVerdict(r) {
  const fieldCodes = (r.json?.errors || []).map((e) => e.code);
  return { status: r.status, code: r.json?.code, fieldCodes };
}
async function runOp(o, tok, f, tally, asRole) {
  const role = asRole || roleOf(o.id);
  const rb = resolve(o.op.requestBody || {});
  const json = rb.content?.['application/json'];
  const raw = rb.content && !json ? rb.content : null;
  const pathName = o.params.find((x) => x.in === 'path')?.name;
  const where = targets(o, role, tok, f);
  const target = (id) => pathName ? o.path.replace(`{${pathName}}`, encodeURIComponent(id)) : o.path;
  const idFor = where.invalid;
  const cases = [];
  // path
  if (pathName) {
    const good = where.valid;
    const pathOk = (v) => paramsValid(o.params, 'path', { [pathName]: v });
    for (const [label, v] of [['path valid', good], ['path id abc', 'abc'], ['path id 0', '0'], ['path id -1', '-1'], ['path id past int64', '9223372036854775808']])
      cases.push({ variant: label, target: target(v), schemaOk: pathOk(v), body: undefined, isPath: label !== 'path valid' });
  } else cases.push({ variant: 'valid', target: o.path, schemaOk: true });
  // query
  // (every operation: one without query parameters refuses any)
  {
    const variants = [...queryVariants(o.params), ...(DEPENDENT_QUERY[o.id] || (() => []))()];
    for (const [label, q] of variants) {
      cases.push({ variant: 'query ' + label, target: target(idFor) + qs(q), schemaOk: paramsValid(o.params, 'query', q) });
    }
  }
  // body
  let bodyBase;
  if (json) {
    const examples = bodyOverrides(o.id, role, f) || mediaExamples(json);
    const v = validator(json.schema);
    bodyBase = examples[0] ?? {};
    examples.forEach((ex, i) => {
      if (v(ex)) return;
      tally.failed++;
      console.log(`not ok - ${o.id} example ${i + 1}: the request the check builds from it fails its own schema: ${JSON.stringify(v.errors?.[0])}`);
    });
    for (const c of cases) c.body = bodyBase;
    examples.slice(1).forEach((ex, i) => cases.push({ variant: `valid example ${i + 2}`, target: target(idFor), schemaOk: v(ex), body: ex }));
    for (const ex of examples.length ? examples : [bodyBase])
      for (const [label, body] of bodyVariants(ex, json.schema, o.id)) {
        if (cases.some((c) => c.variant === 'body ' + label)) continue;
        cases.push({ variant: 'body ' + label, target: target(idFor), schemaOk: v(body), body });
      }
    cases.push({ variant: 'body as text/plain', target: target(idFor), schemaOk: false, body: bodyBase, contentType: 'text/plain' });
    if (!rb.required) cases.push({ variant: 'no body', target: target(idFor), schemaOk: true, body: undefined });
    else cases.push({ variant: 'no body', target: target(idFor), schemaOk: false, body: undefined });
  } else if (raw) {
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
      '1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a5e10000000049454e44ae426082', 'hex');
    for (const c of cases) { c.body = png; c.contentType = 'image/png'; }
    cases.push({ variant: 'body of an undeclared media type', target: target(idFor), schemaOk: false, body: 'hello', contentType: 'text/plain' });
  } else if (o.method !== 'GET' && o.method !== 'DELETE') {
    cases.push({ variant: 'body {}', target: target(idFor), schemaOk: false, body: {} });
    cases.push({ variant: 'body with a member', target: target(idFor), schemaOk: false, body: { zz: 1 } });
  }
  // a sample (under valgrind): the first valid request and invalid variants spread evenly
  // over the operation's list (path, query and body alike)
  const invalid = cases.filter((c) => !c.schemaOk);
  const stride = Math.max(1, invalid.length / Math.max(1, MAX_VARIANTS - 1));
  const sample = MAX_VARIANTS > 0
    ? [cases[0], ...Array.from({ length: Math.min(MAX_VARIANTS - 1, invalid.length) }, (_, k) => invalid[Math.floor(k * stride)])]
    : cases;
  for (const c of sample) {
    const label = `${o.method} ${o.path} (${o.id}${asRole ? ` as ${asRole}` : ''})`;
    if (NOT_SENT.has(o.id) && c.schemaOk) { tally.excluded(label, c.variant, 'not sent (NOT_SENT)'); continue; }
    if (o.id === 'streamEvents' && c.schemaOk) { tally.excluded(label, c.variant, 'an event stream never ends; listEvents has its parameters'); continue; }
    // a valid request goes to the valid target (the check's own object, or one that names nothing)
    const t = c.schemaOk && pathName ? c.target.replace(target(idFor), target(where.valid)) : c.target;
    const body = c.schemaOk ? fresh(o.id, c.body) : c.body;
    const r = await send(o.method, t, { token: where.token, body, contentType: c.contentType });
    const sv = serverVerdict(r);
    const ctx = { ...sv, op: o.id, variant: c.variant, schemaOk: c.schemaOk };
    // a path value outside its template names no resource: 404 refuses it as 400 would
    const pathRefused = c.isPath && !c.schemaOk && r.status === 404;
    const ex = !pathRefused && EXCLUDED.find((e) => e.when(ctx));
    if (ex) { tally.excluded(label, c.variant, `${r.status} ${sv.code || ''}: ${ex.why}`); continue; }
    const serverRefused = REFUSED.has(r.status) || pathRefused;
    const serverOk = r.status < 400;
    const agree = c.schemaOk ? serverOk : serverRefused;
    const detail = `${r.status} ${sv.code || ''} ${sv.fieldCodes.join(',')}`.trim();
    if (agree) tally.pass(label, c.variant, detail);
    else tally.fail(label, c.variant, c.schemaOk ? 'valid' : 'invalid', detail, (r.text || '').slice(0, 300));
  }
}

async function main() {
  const t0 = Date.now();
  const tally = {
    passed: 0, failed: 0, excludedN: 0, byWhy: new Map(),
    pass(op, v, d) { this.passed++; if (VERBOSE) console.log(`ok - ${op} ${v}: ${d}`); },
    fail(op, v, schema, server, more) {
      this.failed++; console.log(`not ok - ${op} ${v}: schema says ${schema}, server says ${server}`);
      if (more) console.log('#   ' + more.replace(/\n/g, ' '));
    },
    excluded(op, v, why) {
      this.excludedN++; if (VERBOSE) console.log(`# excluded - ${op} ${v}: ${why}`);
      const k = why.replace(/^\d+ \S* ?: /, ''); this.byWhy.set(k, (this.byWhy.get(k) || 0) + 1);
    },
  };
  const buyer = await account('buyer'), seller = await account('seller');
  const support = await login('support@demo.sellerdesk.dev', DEMO_PASSWORD);
  const tok = { buyer: buyer.token, buyerId: buyer.id, buyerEmail: buyer.email, seller: seller.token,
    sellerId: seller.id, support };
  const f = await fixtures(tok);
  // what removes or closes the check's own objects runs last, after everything that uses them
  const last = (o) => o.method === 'DELETE' || /^(closeChat|endPromotion|revokeApiKey|actOnDispute)$/.test(o.id);
  const ops = operations().sort((a, b) => last(a) - last(b));
  let checked = 0;
  for (const o of ops) {
    if ((Date.now() - t0) / 1000 > BUDGET_S) {
      tally.failed++;
      console.log(`not ok - the check: its time budget of ${BUDGET_S} s is spent with ${checked} of ${ops.length} operations checked`);
      break;
    }
    await runOp(o, tok, f, tally);
    for (const r of OTHER_ROLES[o.id] || []) await runOp(o, tok, f, tally, r);
    checked++;
  }
  // the check's webhooks go: later stages run processes that send deliveries
  const hooks = await send('GET', '/v1/webhooks?limit=100', { token: tok.seller });
  for (const h of hooks.json?.items || []) await send('DELETE', `/v1/webhooks/${h.id}`, { token: tok.seller });
  console.log(`# ${ops.length} operations, ${tally.passed + tally.failed + tally.excludedN} variants` +
    `${MAX_VARIANTS ? ` (a sample: at most ${MAX_VARIANTS} per operation)` : ''}, ${tally.excludedN} excluded,` +
    ` in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  for (const [why, n] of tally.byWhy) console.log(`#   excluded ${n}: ${why}`);
  console.log(`${tally.passed} passed, ${tally.failed} failed`);
  process.exit(tally.failed ? 1 : 0);
}
main().catch((e) => { console.log(`not ok - the check itself: ${e.stack}`); console.log('0 passed, 1 failed'); process.exit(1); });
