package provider

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/webhookd/webhookd/internal/signature"
)

// Preset is a named provider's usual settings: `preset: NAME` in the
// providers file fills every field the entry leaves empty.
type Preset struct {
	Name   string
	Scheme signature.Scheme
	// SignatureHeader for schemes that read a configurable header
	// (hmac-hex, hmac-base64, token).
	SignatureHeader string
	// SignatureHash is "sha1" where the provider's HMAC is SHA-1, else "".
	SignatureHash string
	// SecretFormat: "" (scheme default), "raw", "base64", "hex", "public-key", "basic".
	SecretFormat string
	// MinSecret is the provider's own minimum secret length in bytes (0: package default 8).
	MinSecret int
	// SvixHeaders: the provider sends svix-id/svix-timestamp/svix-signature.
	SvixHeaders bool
	// Tolerance of the signed timestamp (0: the default 5m).
	Tolerance time.Duration
	// Envelope locations: "header:Name", "json:dotted.path", "form:Field" (form-encoded bodies), or "sha256:body" for EventID.
	EventID, EventType, OccurredAt, Data string
	// Handshake the provider requires before delivering: "slack-url-verification",
	// "zoom-url-validation", "discord-ping", or "" (and name any other you find, with its exact protocol, in your report).
	Handshake string
	// Secret says where the secret is found in the provider's dashboard, for the docs.
	Secret string
	// Docs is the provider's page describing its webhook signature.
	Docs string
}

// presets is one entry per known provider, in name order. The sources of
// each value are listed in docs/presets.md; where a provider sends the
// event id only in an unsigned header (Shopify, GitLab, Linear, Twilio),
// that header is used as the provider documents it for deduplication.
var presets = []Preset{
	{
		// Clerk sends through Svix: svix-* headers, whsec_ base64 secret.
		// Body: {data, object: "event", type, timestamp (ms), instance_id}.
		Name:         "clerk",
		Scheme:       signature.StandardWebhooks,
		SecretFormat: "base64",
		SvixHeaders:  true,
		EventID:      "header:webhook-id", // the svix-id, same on every retry
		EventType:    "json:type",
		OccurredAt:   "json:timestamp",
		Data:         "json:data",
		Secret:       "Dashboard → Configure → Webhooks → the endpoint → Signing Secret (whsec_…)",
		Docs:         "https://clerk.com/docs/webhooks/overview",
	},
	{
		// Discord Webhook Events (not the Interactions endpoint): Ed25519
		// over X-Signature-Timestamp + body, hex public key. Body:
		// {version: 1, application_id, type: 0 PING | 1 EVENT,
		// event: {type, timestamp, data}}; no event id.
		Name:         "discord",
		Scheme:       signature.Scheme("discord"),
		SecretFormat: "public-key",
		EventID:      BodyHashID,
		EventType:    "json:event.type",
		OccurredAt:   "json:event.timestamp",
		Data:         "json:event.data",
		// PING {type: 0} when the URL is saved, answered 204 with no body.
		Handshake: "discord-webhook-ping",
		Secret:    "Developer Portal → the application → General Information → Public Key",
		Docs:      "https://discord.com/developers/docs/events/webhook-events",
	},
	{
		// Dodo Payments: Standard Webhooks, webhook-* headers.
		// Body: {business_id, type, timestamp, data}.
		Name:         "dodo",
		Scheme:       signature.StandardWebhooks,
		SecretFormat: "base64",
		EventID:      "header:webhook-id",
		EventType:    "json:type",
		OccurredAt:   "json:timestamp",
		Data:         "json:data",
		Secret:       "Dashboard → Developer → Webhooks → the endpoint → Signing Secret (whsec_…)",
		Docs:         "https://docs.dodopayments.com/developer-resources/webhooks",
	},
	{
		// GitHub signs the body only; X-GitHub-Delivery is unsigned, so the
		// id is the body's hash. No event time in the envelope.
		Name:         "github",
		Scheme:       signature.GitHub,
		SecretFormat: "raw",
		EventID:      BodyHashID,
		EventType:    "header:X-GitHub-Event",
		Data:         "json:",
		Secret:       "Repository or organization Settings → Webhooks → the webhook → Secret (chosen by you)",
		Docs:         "https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries",
	},
	{
		// GitLab's secret token is sent as is in X-Gitlab-Token (no MAC).
		// Idempotency-Key (GitLab 17.4+) is the same on every retry.
		// X-Gitlab-Event ("Push Hook") has a space, so the type is
		// object_kind from the body.
		Name:            "gitlab",
		Scheme:          signature.Scheme("token"),
		SignatureHeader: "X-Gitlab-Token",
		SecretFormat:    "raw",
		EventID:         "header:Idempotency-Key",
		EventType:       "json:object_kind",
		Data:            "json:",
		Secret:          "Project or group Settings → Webhooks → the webhook → Secret token (chosen by you)",
		Docs:            "https://docs.gitlab.com/user/project/integrations/webhooks/",
	},
	{
		// Intercom: X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body>,
		// keyed with the app's client secret. Body: {type:
		// "notification_event", id: "notif_…", topic, created_at (s),
		// data: {item}}.
		Name:            "intercom",
		Scheme:          signature.HMACHex,
		SignatureHeader: "X-Hub-Signature",
		SignatureHash:   "sha1",
		SecretFormat:    "raw",
		EventID:         "json:id",
		EventType:       "json:topic",
		OccurredAt:      "json:created_at",
		Data:            "json:data.item",
		// The endpoint URL is validated with a HEAD request when it is saved.
		Handshake: "intercom-head",
		Secret:    "Developer Hub → the app → Configure → Basic information → Client secret",
		Docs:      "https://developers.intercom.com/docs/references/webhooks/webhook-models",
	},
	{
		// Lemon Squeezy: X-Signature, hex HMAC-SHA256 of the body; a
		// secret of 6 to 40 characters chosen by you. Body: {meta:
		// {event_name, custom_data}, data: {type, id, attributes}}; no
		// documented event id.
		Name:            "lemonsqueezy",
		Scheme:          signature.HMACHex,
		SignatureHeader: "X-Signature",
		SecretFormat:    "raw",
		MinSecret:       6,
		EventID:         BodyHashID,
		EventType:       "json:meta.event_name",
		OccurredAt:      "json:data.attributes.updated_at",
		Data:            "json:data",
		Secret:          "Settings → Webhooks → the webhook → Signing secret (chosen by you)",
		Docs:            "https://docs.lemonsqueezy.com/help/webhooks/signing-requests",
	},
	{
		// Linear: Linear-Signature, hex HMAC-SHA256 of the body.
		// Linear-Delivery is a delivery UUID. Body: {action, type (the
		// entity: Issue, Comment…), createdAt, data, url, updatedFrom,
		// webhookTimestamp (ms), webhookId, organizationId}.
		Name:            "linear",
		Scheme:          signature.HMACHex,
		SignatureHeader: "Linear-Signature",
		SecretFormat:    "raw",
		EventID:         "header:Linear-Delivery",
		EventType:       "json:type",
		OccurredAt:      "json:createdAt",
		Data:            "json:data",
		Secret:          "Settings → API → Webhooks → the webhook → Signing secret",
		Docs:            "https://linear.app/developers/webhooks",
	},
	{
		// Mailgun signs {timestamp, token} in the body's signature object
		// with the HTTP webhook signing key. Body: {signature: {timestamp,
		// token, signature}, "event-data": {id, event, timestamp, …}}.
		Name:         "mailgun",
		Scheme:       signature.Scheme("mailgun"),
		SecretFormat: "raw",
		EventID:      "json:event-data.id",
		EventType:    "json:event-data.event",
		OccurredAt:   "json:event-data.timestamp",
		Data:         "json:event-data",
		Secret:       "Send → Sending → Webhooks → HTTP webhook signing key",
		Docs:         "https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks",
	},
	{
		// OpenAI: Standard Webhooks, webhook-* headers, whsec_ base64.
		// Body: {id: "evt_…", object: "event", created_at (s), type, data}.
		Name:         "openai",
		Scheme:       signature.StandardWebhooks,
		SecretFormat: "base64",
		EventID:      "json:id",
		EventType:    "json:type",
		OccurredAt:   "json:created_at",
		Data:         "json:data",
		Secret:       "Settings → Project → Webhooks → Create: the signing secret, shown once (whsec_…)",
		Docs:         "https://platform.openai.com/docs/guides/webhooks",
	},
	{
		// Paddle Billing: Paddle-Signature: ts=…;h1=<hex HMAC-SHA256 of
		// "ts:body">. Body: {event_id, event_type, occurred_at,
		// notification_id, data}.
		Name:         "paddle",
		Scheme:       signature.Scheme("paddle"),
		SecretFormat: "raw",
		EventID:      "json:event_id",
		EventType:    "json:event_type",
		OccurredAt:   "json:occurred_at",
		Data:         "json:data",
		Secret:       "Developer tools → Notifications → the destination → Edit destination → Secret key (pdl_ntfset_…)",
		Docs:         "https://developer.paddle.com/webhooks/signature-verification",
	},
	{
		// Polar: Standard Webhooks, webhook-* headers. Its SDK hands
		// base64(secret) to standardwebhooks, so the polar_whs_… string
		// itself is the key: raw, not base64.
		Name:         "polar",
		Scheme:       signature.StandardWebhooks,
		SecretFormat: "raw",
		EventID:      "header:webhook-id",
		EventType:    "json:type",
		OccurredAt:   "json:timestamp",
		Data:         "json:data",
		Secret:       "Organization Settings → Webhooks → Add Endpoint: the secret (polar_whs_…)",
		Docs:         "https://polar.sh/docs/integrate/webhooks/endpoints",
	},
	{
		// Postmark signs nothing: HTTP basic auth (or custom headers) set
		// on the webhook. Body: {RecordType, MessageID, …}; no id common
		// to every record type.
		Name:         "postmark",
		Scheme:       signature.Scheme("basic"),
		SecretFormat: "basic",
		EventID:      BodyHashID,
		EventType:    "json:RecordType",
		Data:         "json:",
		Secret:       "Servers → the server → the message stream → Webhooks → the webhook → Basic auth credentials (chosen by you, user:password)",
		Docs:         "https://postmarkapp.com/developer/webhooks/webhooks-overview",
	},
	{
		// Resend sends through Svix: svix-* headers, whsec_ base64 secret.
		// Body: {type, created_at, data}.
		Name:         "resend",
		Scheme:       signature.StandardWebhooks,
		SecretFormat: "base64",
		SvixHeaders:  true,
		EventID:      "header:webhook-id",
		EventType:    "json:type",
		OccurredAt:   "json:created_at",
		Data:         "json:data",
		Secret:       "Webhooks → the endpoint → Signing Secret (whsec_…)",
		Docs:         "https://resend.com/docs/dashboard/webhooks/verify-webhooks-requests",
	},
	{
		// SendGrid Event Webhook: ECDSA P-256 over timestamp + body,
		// X-Twilio-Email-Event-Webhook-Signature/-Timestamp. The body is a
		// JSON array of events: one batch is one event, of type "events", with
		// the array as its data (the id a hash of the signed body).
		Name:         "sendgrid",
		Scheme:       signature.Scheme("sendgrid"),
		SecretFormat: "public-key",
		EventID:      BodyHashID,
		EventType:    "const:events",
		Data:         "json:",
		Secret:       "Settings → Mail Settings → Event Webhooks → the webhook → Signature Verification → Verification Key",
		Docs:         "https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features",
	},
	{
		// Shopify: X-Shopify-Hmac-Sha256, base64 HMAC-SHA256 of the body
		// with the app's client secret. Shopify names X-Shopify-Event-Id
		// its deduplication key; the body is the resource itself.
		Name:            "shopify",
		Scheme:          signature.Scheme("hmac-base64"),
		SignatureHeader: "X-Shopify-Hmac-Sha256",
		SecretFormat:    "raw",
		EventID:         "header:X-Shopify-Event-Id",
		EventType:       "header:X-Shopify-Topic",
		OccurredAt:      "header:X-Shopify-Triggered-At",
		Data:            "json:",
		Secret:          "Dev Dashboard or Partner Dashboard → the app → Settings → Client secret; for webhooks made in the store admin, Settings → Notifications → Webhooks: the signing secret at the bottom",
		Docs:            "https://shopify.dev/docs/apps/build/webhooks/subscribe/https",
	},
	{
		// Slack Events API: X-Slack-Signature: v0=<hex HMAC-SHA256 of
		// "v0:ts:body">, X-Slack-Request-Timestamp. Body: {type:
		// "event_callback", event_id, event_time (s), event: {type, …}}.
		Name:         "slack",
		Scheme:       signature.Scheme("slack"),
		SecretFormat: "raw",
		EventID:      "json:event_id",
		EventType:    "json:event.type",
		OccurredAt:   "json:event_time",
		Data:         "json:event",
		Handshake:    "slack-url-verification",
		Secret:       "api.slack.com/apps → the app → Basic Information → App Credentials → Signing Secret",
		Docs:         "https://api.slack.com/authentication/verifying-requests-from-slack",
	},
	{
		// Square: x-square-hmacsha256-signature, base64 HMAC-SHA256 of the
		// notification URL followed by the body. Body: {merchant_id, type,
		// event_id, created_at, data: {type, id, object}}.
		Name:         "square",
		Scheme:       signature.Scheme("square"),
		SecretFormat: "raw",
		EventID:      "json:event_id",
		EventType:    "json:type",
		OccurredAt:   "json:created_at",
		Data:         "json:data.object",
		Secret:       "Developer Console → the application → Webhooks → Subscriptions → the subscription → Signature key",
		Docs:         "https://developer.squareup.com/docs/webhooks/step3validate",
	},
	{
		// Stripe: Stripe-Signature: t=…,v1=<hex HMAC-SHA256 of "t.body">;
		// the whsec_ secret is the key as is.
		Name:         "stripe",
		Scheme:       signature.Stripe,
		SecretFormat: "raw",
		EventID:      "json:id",
		EventType:    "json:type",
		OccurredAt:   "json:created",
		Data:         "json:data.object",
		Secret:       "Developers → Webhooks → the endpoint → Signing secret → Reveal (whsec_…)",
		Docs:         "https://docs.stripe.com/webhooks#verify-events",
	},
	{
		// Twilio: X-Twilio-Signature, base64 HMAC-SHA1 of the URL Twilio
		// called followed by the sorted form parameters, keyed with the
		// Auth Token. Bodies are form-encoded. I-Twilio-Idempotency-Token
		// is the same on Twilio's retries.
		Name:         "twilio",
		Scheme:       signature.Scheme("twilio"),
		SecretFormat: "raw",
		EventID:      BodyHashID,
		EventType:    "form:SmsStatus",
		Data:         "form:",
		Secret:       "Console → Account → API keys & tokens → Auth Token",
		Docs:         "https://www.twilio.com/docs/usage/webhooks/webhooks-security",
	},
	{
		// Vercel: x-vercel-signature, hex HMAC-SHA1 of the body. Body:
		// {id, type, createdAt (ms), payload, region}.
		Name:            "vercel",
		Scheme:          signature.HMACHex,
		SignatureHeader: "x-vercel-signature",
		SignatureHash:   "sha1",
		SecretFormat:    "raw",
		EventID:         "json:id",
		EventType:       "json:type",
		OccurredAt:      "json:createdAt",
		Data:            "json:payload",
		Secret:          "Team Settings → Webhooks → Create: the secret, shown once (an integration's webhooks use its Client Secret)",
		Docs:            "https://vercel.com/docs/webhooks",
	},
	{
		// WooCommerce: X-WC-Webhook-Signature, base64 HMAC-SHA256 of the
		// body. The body is the REST resource (order, product…); the
		// delivery id is new on every delivery, so the id is the body's
		// hash. Its date fields carry no zone, so no event time.
		Name:            "woocommerce",
		Scheme:          signature.Scheme("hmac-base64"),
		SignatureHeader: "X-WC-Webhook-Signature",
		SecretFormat:    "raw",
		EventID:         BodyHashID,
		EventType:       "header:X-WC-Webhook-Topic",
		Data:            "json:",
		// An unsigned form POST "webhook_id=N" when the webhook is saved
		// active, which must be answered 200.
		Handshake: "woocommerce-ping",
		Secret:    "WooCommerce → Settings → Advanced → Webhooks → the webhook → Secret",
		Docs:      "https://woocommerce.github.io/woocommerce-rest-api-docs/#webhooks",
	},
	{
		// WorkOS: WorkOS-Signature: t=<ms>, v1=<hex HMAC-SHA256 of
		// "t.body">. Body: {id: "event_…", event, data, created_at}.
		Name:         "workos",
		Scheme:       signature.Scheme("workos"),
		SecretFormat: "raw",
		EventID:      "json:id",
		EventType:    "json:event",
		OccurredAt:   "json:created_at",
		Data:         "json:data",
		Secret:       "Dashboard → Webhooks → the endpoint → Signing secret",
		Docs:         "https://workos.com/docs/events/data-syncing/webhooks",
	},
	{
		// Zoom: x-zm-signature: v0=<hex HMAC-SHA256 of "v0:ts:body">,
		// x-zm-request-timestamp, keyed with the app's Secret Token.
		// Body: {event, event_ts (ms), payload}; no event id.
		Name:         "zoom",
		Scheme:       signature.Scheme("zoom"),
		SecretFormat: "raw",
		EventID:      BodyHashID,
		EventType:    "json:event",
		OccurredAt:   "json:event_ts",
		Data:         "json:payload",
		Handshake:    "zoom-url-validation",
		Secret:       "App Marketplace → Manage → the app → Features → Access → Secret Token",
		Docs:         "https://developers.zoom.us/docs/api/webhooks/",
	},
}

// Presets lists the presets sorted by name (a copy).
func Presets() []Preset {
	out := slices.Clone(presets)
	slices.SortFunc(out, func(a, b Preset) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// PresetByName finds a preset by its name.
func PresetByName(name string) (Preset, bool) {
	for _, p := range presets {
		if p.Name == name {
			return p, true
		}
	}
	return Preset{}, false
}

// apply fills the fields p leaves empty from the preset.
func (pr Preset) apply(p Provider) Provider {
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	if p.Scheme == "" {
		p.Scheme = pr.Scheme
	}
	fill(&p.SignatureHeader, pr.SignatureHeader)
	fill(&p.SignatureHash, pr.SignatureHash)
	if p.SecretFormat == "" {
		p.SecretFormat = signature.SecretFormat(pr.SecretFormat)
	}
	if p.MinSecretLength == 0 {
		p.MinSecretLength = pr.MinSecret
	}
	p.SvixHeaders = p.SvixHeaders || pr.SvixHeaders
	if p.Tolerance == 0 {
		p.Tolerance = pr.Tolerance
	}
	fill(&p.EventID, pr.EventID)
	fill(&p.EventType, pr.EventType)
	fill(&p.OccurredAt, pr.OccurredAt)
	fill(&p.Data, pr.Data)
	p.Handshake = pr.Handshake
	fill(&p.Format, builtinFormat(pr.Name))
	return p
}

// WritePresets prints one line per preset: its name, scheme, where its
// signature is, the secret's variable and format, and its handshake.
func WritePresets(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PRESET\tSCHEME\tHEADER\tSECRET\tFORMAT\tHANDSHAKE")
	for _, pr := range Presets() {
		header, format, hs := pr.SignatureHeader, pr.SecretFormat, pr.Handshake
		for _, v := range []*string{&header, &format, &hs} {
			if *v == "" {
				*v = "-"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", pr.Name, pr.Scheme, header, SecretEnv(pr.Name), format, hs)
	}
	return tw.Flush()
}
