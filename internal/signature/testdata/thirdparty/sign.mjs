// sign.mjs signs the fixtures of internal/signature/testdata/thirdparty with
// the providers' own published libraries, and has each library verify what
// it wrote, so the Go tests check webhookd against the providers' code.
// Keys and secrets are generated or made up for these fixtures: test values
// only. Nothing secret is printed.
//
// Run it from a scratch directory (never from the repository: node is no
// part of webhookd's build); see README.md for the package versions:
//
//	mkdir -p /tmp/sigfixtures && cd /tmp/sigfixtures && npm init -y >/dev/null
//	npm install twilio@6.3.1 @sendgrid/eventwebhook@8.0.0 standardwebhooks@1.3.0 \
//	  @paddle/paddle-node-sdk@3.10.0 @workos-inc/node@8.13.0 discord-interactions@4.4.0 \
//	  square@46.0.0 @shopify/shopify-api@13.1.0 @slack/bolt@5.1.0 @polar-sh/sdk@0.49.0 \
//	  @octokit/webhooks-methods@6.0.0 @zoom/rivet@0.4.0
//	node /path/to/internal/signature/testdata/thirdparty/sign.mjs
//
// Each <scheme>.json holds cases: the headers, body and URL of a request,
// the verifier's configuration (secret or public key as the provider shows
// it, its format, header, hash), the time it was signed at (now_ms) and
// what the library said of it (library_valid). The Go test verifies each
// case at now_ms and must agree with the library.
import { createRequire } from "node:module";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import querystring from "node:querystring";
import { fileURLToPath } from "node:url";

const require = createRequire(path.join(process.cwd(), "/"));
const outDir = path.dirname(fileURLToPath(import.meta.url));
const version = (p) => `${p}@${JSON.parse(fs.readFileSync(path.join(process.cwd(), "node_modules", p, "package.json"))).version}`;
const hmac = (alg, key, data, enc) => crypto.createHmac(alg, key).update(data).digest(enc);
const nowMs = Date.now();
const nowS = Math.floor(nowMs / 1000);
const fixtures = {};
const add = (scheme, c) => {
  if (c.library_valid !== true && c.library_valid !== false) throw new Error(`${scheme}/${c.name}: no verdict`);
  (fixtures[scheme] ??= []).push({ now_ms: nowMs, url: "", secret_format: "", header: "", hash: "", ...c });
};

// ---- twilio: signed with getExpectedTwilioSignature, judged by validateRequest(WithBody).
{
  const twilio = require("twilio");
  const lib = version("twilio");
  const token = "f3a9c2e17b6d48e0a5c3b9d2e8f1a4c7"; // a made-up auth token
  const form = {
    AccountSid: "AC00000000000000000000000000000000",
    Body: "Hello, it's me & you = 100% ü",
    From: "+14155550100",
    MessageSid: "SM11111111111111111111111111111111",
    NumMedia: "0",
    To: "+14155550199",
  };
  const formBody = new URLSearchParams(form).toString();
  const formHeaders = (sig, extra = {}) => ({ "X-Twilio-Signature": sig, "Content-Type": "application/x-www-form-urlencoded", ...extra });
  const base = "https://hooks.example.com/webhooks/twilio";
  {
    const url = base + "?source=sms";
    const sig = twilio.getExpectedTwilioSignature(token, url, form);
    add("twilio", { name: "form", library: lib, secret: token, url, headers: formHeaders(sig), body: formBody, library_valid: twilio.validateRequest(token, sig, url, form) });
    const sig256 = twilio.getExpectedTwilioSignature(token, url, form, "HMAC_SHA256");
    const settings = "key=webhooks_sharedkey_test,algorithm=HMAC_SHA256";
    add("twilio", { name: "form, SharedKey HMAC_SHA256", library: lib, secret: token, url, headers: formHeaders(sig256, { "X-Twilio-Webhooks-Signature-Settings": settings }), body: formBody, library_valid: twilio.validateRequest(token, sig256, url, form, twilio.getSignatureAlgorithm(settings)) });
  }
  {
    // A repeated parameter: the library sorts its distinct values.
    const body = "b=x&a=2&a=1&a=2&c=&d=%F0%9F%98%80&e=%EF%BD%81";
    const params = querystring.parse(body);
    const sig = twilio.getExpectedTwilioSignature(token, base, params);
    add("twilio", { name: "form, repeated and unicode names", library: lib, secret: token, url: base, headers: formHeaders(sig), body, library_valid: twilio.validateRequest(token, sig, base, params) });
  }
  {
    const body = JSON.stringify({ event: "message.delivered", sid: "SM123", data: { to: "+14155550199", text: "héllo" } });
    const url = `${base}?bodySHA256=${twilio.getExpectedBodyHash(body)}`;
    const sig = twilio.getExpectedTwilioSignature(token, url, {});
    add("twilio", { name: "json, bodySHA256", library: lib, secret: token, url, headers: { "X-Twilio-Signature": sig, "Content-Type": "application/json" }, body, library_valid: twilio.validateRequestWithBody(token, sig, url, body) });
    const other = JSON.stringify({ event: "message.failed" });
    add("twilio", { name: "json, bodySHA256 of another body", library: lib, secret: token, url, headers: { "X-Twilio-Signature": sig, "Content-Type": "application/json" }, body: other, library_valid: twilio.validateRequestWithBody(token, sig, url, other) });
  }
  {
    // Which URL Twilio signed, and which one webhookd reconstructs: the
    // library tries the URL as received with and without its port, then as
    // new URL() normalizes it, with and without the legacy querystring.
    const legacy = (u) => {
      const q = u.indexOf("?");
      return q === -1 || q === u.length - 1 ? u : u.slice(0, q) + "?" + querystring.stringify(querystring.parse(u.slice(q + 1)));
    };
    const received = [
      "https://hooks.example.com/webhooks/twilio",
      "https://hooks.example.com:443/webhooks/twilio?x=1",
      "https://hooks.example.com:8443/webhooks/twilio?x=1&y=2",
      "https://Hooks.Example.com/webhooks/twilio?name=it's&q=a b",
      "https://hooks.example.com/webhooks/twilio?b=2&a=1&b=1&10=x&2=y",
      "https://hooks.example.com/webhooks/./twilio/../twilio?q=%7e~%27'(x)",
      "https://hooks.example.com/webhooks/{twilio}/ünï?q=\"<é>\"&r=%zz&s=+",
      "http://hooks.example.com:80/webhooks/twilio?",
      "https://bücher.example/webhooks/twilio?x=1",
      "https://hooks.example.com",
      "HTTPS://HOOKS.EXAMPLE.COM:0443/Webhooks/Twilio?A=%41&b=%2a",
      "https://203.0.113.7:8443/webhooks/twilio?a=1",
      "https://hooks.example.com/a b/c%20d?e=f g&h=%E2%82%AC&i=€",
    ];
    const transforms = {
      "as received": (u) => u,
      "default port added": (u) => { const n = new URL(u); return u.replace(n.host, n.hostname + (n.protocol === "https:" ? ":443" : ":80")).replace(/:(443|80):(443|80)/, ":$1"); },
      "port removed": (u) => u.replace(/:(\d+)(?=[/?]|$)/, ""),
      "new URL()": (u) => new URL(u).toString(),
      "new URL(), legacy querystring": (u) => legacy(new URL(u).toString()),
      "legacy querystring of as received": (u) => legacy(u),
      "trailing slash added": (u) => { const n = new URL(u); n.pathname += "/"; return n.toString(); },
      "query dropped": (u) => u.split("?")[0],
      "path upper-cased": (u) => { const n = new URL(u); n.pathname = n.pathname.toUpperCase(); return n.toString(); },
      "http for https": (u) => u.replace(/^https:/, "http:"),
    };
    for (const u of received) {
      const seen = new Set();
      for (const [t, f] of Object.entries(transforms)) {
        const signed = f(u);
        if (seen.has(signed)) continue;
        seen.add(signed);
        const sig = twilio.getExpectedTwilioSignature(token, signed, {});
        add("twilio", { name: `url ${u} signed ${t}`, library: lib, secret: token, url: u, headers: { "X-Twilio-Signature": sig }, body: "", library_valid: twilio.validateRequest(token, sig, u, {}) });
      }
    }
  }
}

// ---- sendgrid: signed with node:crypto (ECDSA P-256, SHA-256, DER), judged
// by @sendgrid/eventwebhook's EventWebhook.verifySignature with the public
// key as SendGrid's dashboard shows it (base64 DER SPKI).
{
  const { EventWebhook } = require("@sendgrid/eventwebhook");
  const lib = version("@sendgrid/eventwebhook");
  const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
  const pub = publicKey.export({ type: "spki", format: "der" }).toString("base64");
  const pem = publicKey.export({ type: "spki", format: "pem" });
  const ew = new EventWebhook();
  const body = JSON.stringify([{ email: "user@example.com", event: "delivered", sg_event_id: "sg_1", timestamp: nowS }]) + "\r\n";
  const ts = String(nowS);
  const sig = crypto.sign("sha256", Buffer.from(ts + body), privateKey).toString("base64");
  const headers = { "X-Twilio-Email-Event-Webhook-Signature": sig, "X-Twilio-Email-Event-Webhook-Timestamp": ts };
  add("sendgrid", { name: "base64 DER public key", library: lib, secret: pub, headers, body, library_valid: ew.verifySignature(ew.convertPublicKeyToECDSA(pub), body, sig, ts) });
  add("sendgrid", { name: "PEM public key", library: lib, secret: pem, headers, body, library_valid: ew.verifySignature(ew.convertPublicKeyToECDSA(pem), body, sig, ts) });
  const other = body.replace("delivered", "bounce");
  add("sendgrid", { name: "another body", library: lib, secret: pub, headers, body: other, library_valid: ew.verifySignature(ew.convertPublicKeyToECDSA(pub), other, sig, ts) });
}

// ---- discord: signed with node:crypto (Ed25519), judged by
// discord-interactions' verifyKey with the hex public key.
{
  const { verifyKey } = require("discord-interactions");
  const lib = version("discord-interactions");
  const { privateKey, publicKey } = crypto.generateKeyPairSync("ed25519");
  const pub = publicKey.export({ type: "spki", format: "der" }).subarray(-32).toString("hex");
  const body = JSON.stringify({ type: 1, id: "1234567890", application_id: "987654321", token: "interaction-token", version: 1 });
  const ts = String(nowS);
  const sig = crypto.sign(null, Buffer.from(ts + body), privateKey).toString("hex");
  const headers = { "X-Signature-Ed25519": sig, "X-Signature-Timestamp": ts };
  add("discord", { name: "ping", library: lib, secret: pub, headers, body, library_valid: await verifyKey(body, sig, ts, pub) });
  add("discord", { name: "ping, key as hex format", library: lib, secret: pub, secret_format: "hex", headers, body, library_valid: await verifyKey(body, sig, ts, pub) });
  const other = body.replace('"type":1', '"type":2');
  add("discord", { name: "another body", library: lib, secret: pub, headers, body: other, library_valid: await verifyKey(other, sig, ts, pub) });
}

// ---- standard-webhooks: Polar's SDK (raw secret, base64-encoded for the
// standardwebhooks library), and v1a (Ed25519), which no library implements
// yet: signed with node:crypto as the specification says and judged by it.
{
  const { Webhook } = require("standardwebhooks");
  const swLib = version("standardwebhooks");
  const { validateEvent, WebhookVerificationError } = require("@polar-sh/sdk/webhooks");
  const polarLib = version("@polar-sh/sdk");
  const secret = "polar_whs_Xq3vTz8kLmN2pR5sW9yB4cF7hJ0dG6aE"; // made up
  const body = JSON.stringify({ type: "customer.deleted", timestamp: new Date(nowMs).toISOString(), data: { id: "cus_1" } });
  const id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
  const sig = new Webhook(Buffer.from(secret, "utf-8").toString("base64")).sign(id, new Date(nowS * 1000), body);
  const headers = { "webhook-id": id, "webhook-timestamp": String(nowS), "webhook-signature": sig };
  let valid;
  try {
    validateEvent(body, headers, secret);
    valid = true;
  } catch (e) {
    // Only a failed signature is a verdict against; an event the SDK does
    // not know is no concern of the signature.
    valid = !(e instanceof WebhookVerificationError);
  }
  add("standard-webhooks", { name: "polar, raw secret", library: `${polarLib} (validateEvent) / ${swLib}`, secret, secret_format: "raw", headers, body, library_valid: valid });
  const other = body.replace("cus_1", "cus_2");
  try {
    validateEvent(other, headers, secret);
    valid = true;
  } catch (e) {
    valid = !(e instanceof WebhookVerificationError);
  }
  add("standard-webhooks", { name: "polar, another body", library: `${polarLib} (validateEvent) / ${swLib}`, secret, secret_format: "raw", headers, body: other, library_valid: valid });

  const { privateKey, publicKey } = crypto.generateKeyPairSync("ed25519");
  const raw = publicKey.export({ type: "spki", format: "der" }).subarray(-32);
  const ts = String(nowS);
  const v1a = crypto.sign(null, Buffer.from(`${id}.${ts}.${body}`), privateKey).toString("base64");
  const specOK = crypto.verify(null, Buffer.from(`${id}.${ts}.${body}`), publicKey, Buffer.from(v1a, "base64"));
  const hmacSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const v1 = new Webhook(hmacSecret).sign(id, new Date(nowS * 1000), body);
  add("standard-webhooks", { name: "v1a only, whpk_ key", library: "none: Standard Webhooks spec (node:crypto Ed25519)", secret: "whpk_" + raw.toString("base64"), headers: { "webhook-id": id, "webhook-timestamp": ts, "webhook-signature": `v1a,${v1a}` }, body, library_valid: specOK });
  add("standard-webhooks", { name: "v1 and v1a, whpk_ key", library: `none: Standard Webhooks spec (node:crypto Ed25519) / ${swLib}`, secret: "whpk_" + raw.toString("base64"), headers: { "webhook-id": id, "webhook-timestamp": ts, "webhook-signature": `${v1} v1a,${v1a}` }, body, library_valid: specOK });
  let v1ok = true;
  try { new Webhook(hmacSecret).verify(body, { "webhook-id": id, "webhook-timestamp": ts, "webhook-signature": `${v1} v1a,${v1a}` }); } catch { v1ok = false; }
  add("standard-webhooks", { name: "v1 and v1a, whsec_ key", library: swLib, secret: hmacSecret, headers: { "webhook-id": id, "webhook-timestamp": ts, "webhook-signature": `${v1} v1a,${v1a}` }, body, library_valid: v1ok });
}

// ---- paddle: signed with node:crypto (Paddle's docs), judged by the Paddle
// SDK's webhooks.isSignatureValid (which takes the last h1=).
{
  const { Paddle } = require("@paddle/paddle-node-sdk");
  const lib = version("@paddle/paddle-node-sdk");
  const paddle = new Paddle("pdl_sdbx_apikey_made_up_for_tests");
  const secret = "pdl_ntfset_01j0000000000000000000000_Abc123Def456Ghi789Jkl0"; // made up
  const body = JSON.stringify({ event_id: "evt_01j", event_type: "transaction.completed", occurred_at: new Date(nowMs).toISOString(), data: { id: "txn_01j" } });
  const ts = String(nowS);
  const h1 = hmac("sha256", secret, `${ts}:${body}`, "hex");
  const old = hmac("sha256", "the-previous-secret-rotated-out", `${ts}:${body}`, "hex");
  for (const [name, header] of [["one h1", `ts=${ts};h1=${h1}`], ["rotation, two h1", `ts=${ts};h1=${old};h1=${h1}`]]) {
    add("paddle", { name, library: lib, secret, headers: { "Paddle-Signature": header }, body, library_valid: await paddle.webhooks.isSignatureValid(body, secret, header) });
  }
}

// ---- workos: signed and judged by the WorkOS SDK (computeSignature,
// verifyHeader), which signs JSON.stringify of the payload: the body.
{
  const { WorkOS } = require("@workos-inc/node");
  const lib = version("@workos-inc/node");
  const workos = new WorkOS("sk_test_made_up_for_tests");
  const secret = "wos_whsec_TestOnly0123456789abcdef"; // made up
  const payload = { id: "event_01", event: "user.created", data: { id: "user_01", email: "a@example.com" }, created_at: new Date(nowMs).toISOString() };
  const body = JSON.stringify(payload);
  const sig = await workos.webhooks.computeSignature(nowMs, payload, secret);
  const sigHeader = `t=${nowMs}, v1=${sig}`;
  let valid = true;
  try { await workos.webhooks.verifyHeader({ payload, sigHeader, secret }); } catch { valid = false; }
  add("workos", { name: "user.created", library: lib, secret, headers: { "WorkOS-Signature": sigHeader }, body, library_valid: valid });
}

// ---- slack: signed with node:crypto (Slack's docs), judged by @slack/bolt's
// isValidSlackRequest at the signing time.
{
  const { isValidSlackRequest } = require("@slack/bolt");
  const lib = version("@slack/bolt");
  const secret = "8f742231b10e8888abcd99yyyzzz85a5"; // the shape of Slack's docs example, made up
  const ts = String(nowS);
  for (const [name, body] of [
    ["events api json", JSON.stringify({ token: "x", type: "event_callback", event: { type: "app_mention", text: "hi <@U1>" } })],
    ["slash command form", "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&command=%2Fweather&text=94070&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1234%2F5678"],
  ]) {
    const sig = "v0=" + hmac("sha256", secret, `v0:${ts}:${body}`, "hex");
    add("slack", { name, library: lib, secret, headers: { "X-Slack-Signature": sig, "X-Slack-Request-Timestamp": ts }, body, library_valid: isValidSlackRequest({ signingSecret: secret, body, headers: { "x-slack-signature": sig, "x-slack-request-timestamp": nowS }, nowMilliseconds: nowMs }) });
  }
}

// ---- zoom: signed with node:crypto (Zoom's docs), judged by @zoom/rivet's
// AwsLambdaReceiver, which answers 200 to a verified event (it re-serializes
// the JSON body, which Zoom sends compact: the body is JSON.stringify's).
{
  const { AwsLambdaReceiver } = require("@zoom/rivet/users");
  const lib = version("@zoom/rivet");
  const secret = "zoomSecretTokenMadeUpForTests123"; // made up
  const body = JSON.stringify({ event: "meeting.started", event_ts: nowMs, payload: { account_id: "acc", object: { id: "123", topic: "Standup" } } });
  const ts = String(nowS);
  const sig = "v0=" + hmac("sha256", secret, `v0:${ts}:${body}`, "hex");
  const headers = { "x-zm-signature": sig, "x-zm-request-timestamp": ts };
  const receiver = new AwsLambdaReceiver({ webhooksSecretToken: secret });
  receiver.init({ eventEmitter: { emit: async () => {} } });
  const debug = console.debug;
  console.debug = () => {}; // it logs the event
  const res = await receiver.start()({ body, headers, isBase64Encoded: false }, {});
  const resOther = await receiver.start()({ body: body.replace("Standup", "Retro"), headers, isBase64Encoded: false }, {});
  console.debug = debug;
  add("zoom", { name: "meeting.started", library: lib, secret, headers, body, library_valid: res.statusCode === 200 });
  add("zoom", { name: "another body", library: lib, secret, headers, body: body.replace("Standup", "Retro"), library_valid: resOther.statusCode === 200 });
}

// ---- square: signed with node:crypto (Square's docs), judged by the Square
// SDK's WebhooksHelper.verifySignature with the notification URL.
{
  const { WebhooksHelper } = require("square");
  const lib = version("square");
  const secret = "Sq1gnatureKeyMadeUpForTests_0123"; // made up
  const url = "https://hooks.example.com/webhooks/square";
  const body = JSON.stringify({ merchant_id: "ML1", type: "payment.updated", event_id: "e1", created_at: new Date(nowMs).toISOString(), data: { type: "payment", id: "p1" } });
  const sig = hmac("sha256", secret, url + body, "base64");
  add("square", { name: "payment.updated", library: lib, secret, url, headers: { "X-Square-Hmacsha256-Signature": sig }, body, library_valid: await WebhooksHelper.verifySignature({ requestBody: body, signatureHeader: sig, signatureKey: secret, notificationUrl: url }) });
  const other = url + "/";
  add("square", { name: "another notification url", library: lib, secret, url: other, headers: { "X-Square-Hmacsha256-Signature": sig }, body, library_valid: await WebhooksHelper.verifySignature({ requestBody: body, signatureHeader: sig, signatureKey: secret, notificationUrl: other }) });
}

// ---- hmac-base64 (Shopify): signed with node:crypto, judged by
// @shopify/shopify-api's webhooks.validate; WooCommerce from its docs.
{
  require("@shopify/shopify-api/adapters/node");
  const { shopifyApi, ApiVersion } = require("@shopify/shopify-api");
  const lib = version("@shopify/shopify-api");
  const secret = "shpss_made_up_for_tests_0123456789"; // made up
  const shopify = shopifyApi({ apiKey: "key", apiSecretKey: secret, scopes: [], hostName: "hooks.example.com", apiVersion: ApiVersion.April26 ?? Object.values(ApiVersion)[0], isEmbeddedApp: false, logger: { level: 0, log: () => {} } });
  const body = JSON.stringify({ id: 820982911946154500, email: "jon@example.com", total_price: "199.00" });
  const sig = hmac("sha256", secret, body, "base64");
  const headers = {
    "X-Shopify-Hmac-Sha256": sig,
    "X-Shopify-Topic": "orders/create",
    "X-Shopify-Shop-Domain": "shop.myshopify.com",
    "X-Shopify-API-Version": "2026-04",
    "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
    "X-Shopify-Event-Id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
    "X-Shopify-Triggered-At": new Date(nowMs).toISOString(),
  };
  const rawRequest = { headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])), method: "POST", url: "/webhooks/shopify" };
  const check = await shopify.webhooks.validate({ rawBody: body, rawRequest, rawResponse: {} });
  add("hmac-base64", { name: "shopify orders/create", library: lib, secret, header: "X-Shopify-Hmac-Sha256", headers, body, library_valid: check.valid === true });
  const other = body.replace("199.00", "1.00");
  const checkOther = await shopify.webhooks.validate({ rawBody: other, rawRequest, rawResponse: {} });
  add("hmac-base64", { name: "shopify, another body", library: lib, secret, header: "X-Shopify-Hmac-Sha256", headers, body: other, library_valid: checkOther.valid === true });
  const wc = hmac("sha256", "wc_made_up_secret", body, "base64");
  add("hmac-base64", { name: "woocommerce", library: "none: https://woocommerce.github.io/woocommerce-rest-api-docs/#webhooks (node:crypto)", secret: "wc_made_up_secret", header: "X-WC-Webhook-Signature", headers: { "X-WC-Webhook-Signature": wc, "X-WC-Webhook-Topic": "order.created" }, body, library_valid: true });
}

// ---- hmac-hex: @octokit/webhooks-methods' sign and verify ("sha256=" in
// X-Hub-Signature-256, as hmac-hex); SHA-1 for Intercom and Vercel from
// their docs.
{
  const { sign, verify } = await import(path.join(process.cwd(), "node_modules/@octokit/webhooks-methods/dist-node/index.js")).catch(() => import(require.resolve("@octokit/webhooks-methods")));
  const lib = version("@octokit/webhooks-methods");
  const secret = "octokit_made_up_secret";
  const body = JSON.stringify({ action: "opened", number: 1, repository: { full_name: "o/r" } });
  const sig = await sign(secret, body);
  add("hmac-hex", { name: "octokit sign, X-Hub-Signature-256", library: lib, secret, header: "X-Hub-Signature-256", headers: { "X-Hub-Signature-256": sig }, body, library_valid: await verify(secret, body, sig) });
  const intercom = "sha1=" + hmac("sha1", "intercom_made_up_secret", body, "hex");
  add("hmac-hex", { name: "intercom sha1", library: "none: https://developers.intercom.com/docs/references/webhooks/webhook-models#signed-notifications (node:crypto)", secret: "intercom_made_up_secret", header: "X-Hub-Signature", hash: "sha1", headers: { "X-Hub-Signature": intercom }, body, library_valid: true });
  const vercel = hmac("sha1", "vercel_made_up_secret", body, "hex");
  add("hmac-hex", { name: "vercel sha1", library: "none: https://vercel.com/docs/webhooks/webhooks-api#securing-webhooks (node:crypto)", secret: "vercel_made_up_secret", header: "x-vercel-signature", hash: "sha1", headers: { "x-vercel-signature": vercel }, body, library_valid: true });
}

// ---- mailgun: no published library verifies; Mailgun's docs: hex
// HMAC-SHA256 of timestamp + token with the webhook signing key.
{
  const docs = "none: https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks (node:crypto)";
  const key = "key-made-up-webhook-signing-key-0123"; // made up
  const ts = String(nowS);
  const token = crypto.randomBytes(25).toString("hex");
  const signature = hmac("sha256", key, ts + token, "hex");
  const body = JSON.stringify({ signature: { timestamp: ts, token, signature }, "event-data": { event: "delivered", id: "CPgfbmQMTCKtHW6uIWtuVe", recipient: "alice@example.com" } });
  add("mailgun", { name: "json", library: docs, secret: key, headers: { "Content-Type": "application/json" }, body, library_valid: true });
  const form = new URLSearchParams({ event: "delivered", recipient: "alice@example.com", timestamp: ts, token, signature }).toString();
  add("mailgun", { name: "legacy form", library: docs, secret: key, headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: form, library_valid: true });
  const boundary = "----mgboundary1234";
  const multipart = ["event", "delivered", "timestamp", ts, "token", token, "signature", signature]
    .reduce((acc, v, i, a) => (i % 2 ? acc : acc + `--${boundary}\r\nContent-Disposition: form-data; name="${v}"\r\n\r\n${a[i + 1]}\r\n`), "") + `--${boundary}--\r\n`;
  add("mailgun", { name: "legacy multipart", library: docs, secret: key, headers: { "Content-Type": `multipart/form-data; boundary=${boundary}` }, body: multipart, library_valid: true });
}

for (const [scheme, cases] of Object.entries(fixtures)) {
  const file = path.join(outDir, `${scheme}.json`);
  fs.writeFileSync(file, JSON.stringify({ scheme, generated_by: "sign.mjs", node: process.version, cases }, null, 2) + "\n");
  const verdicts = cases.map((c) => (c.library_valid ? "+" : "-")).join("");
  console.log(`${scheme}: ${cases.length} cases ${verdicts}`);
}
