# webhookd — see README.md.
GO ?= go
DATA_DIR ?= .data

.PHONY: dev test build lint fuzz bench drills soak smoke sizing compose-config helm-lint clean

## dev: run everything on this machine (embedded Temporal + UI, managed PostgreSQL, worker, ingress)
dev: build
	./bin/webhookd dev --data-dir $(DATA_DIR)

## test: the whole suite with the race detector (needs the PostgreSQL server binaries)
test:
	$(GO) test -race -count=1 ./...

## build: bin/webhookd
build:
	$(GO) build -o bin/webhookd ./cmd/webhookd

## bench: load figures against a fresh embedded stack, then the verifier micro-benchmarks
# The floors of the bench's verdict: the tuned server against stock
# temporaltest, and a payment against a workflow with one activity (its
# fair ceiling: the email must be an activity), in rate and in CPU.
FLOOR_NOOP_VS_STOCK ?= 2.0
FLOOR_E2E_VS_ONE_ACTIVITY ?= 0.8
bench: build
	$(GO) run ./cmd/bench $(BENCH_FLAGS) | tee bin/bench.log
	@awk -v fs=$(FLOOR_NOOP_VS_STOCK) -v fe=$(FLOOR_E2E_VS_ONE_ACTIVITY) -F': ' \
	  '$$1 == "noop_vs_stock" || $$1 == "noop_vs_stock_cpu" { v[$$1] = $$2; f[$$1] = fs } \
	   $$1 == "e2e_vs_one_activity" || $$1 == "e2e_vs_one_activity_cpu" { v[$$1] = $$2; f[$$1] = fe } \
	   END { out = ""; n = 0; for (k in v) { n++; if (v[k] + 0 < f[k] + 0) out = out sprintf(" %s %.2f < %.2f;", k, v[k], f[k]) } \
	         if (n == 0) print "verdict: no ratio to judge (phases noop, one, e2e and stock)"; \
	         else if (out == "") print "verdict: ok (noop_vs_stock and its CPU ratio >= " fs ", e2e_vs_one_activity and its CPU ratio >= " fe ")"; \
	         else print "verdict: BELOW THE FLOOR:" out }' bin/bench.log
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./internal/signature | awk '{ print } \
		$$1 ~ /^BenchmarkVerify\// { n = $$1; sub(/^BenchmarkVerify\//, "", n); sub(/-[0-9]+$$/, "", n); \
		  if (!(n in best)) order[++k] = n; if (!(n in best) || $$3 < best[n]) best[n] = $$3 } \
		END { for (i = 1; i <= k; i++) { n = order[i]; if (n ~ /^baseline/) continue; \
		  if (n ~ /^(discord|standard-webhooks-v1a)$$/) { printf "verify_%s_vs_ed25519: %.2f\n", n, best[n] / best["baseline-ed25519-verify"]; continue } \
		  if (n == "sendgrid") { printf "verify_%s_vs_ecdsa: %.2f\n", n, best[n] / best["baseline-ecdsa-verify-asn1"]; continue } \
		  printf "verify_%s_vs_hmac: %.2f\n", n, best[n] / best["baseline-crypto-hmac"]; \
		  printf "verify_%s_vs_keyed_hmac: %.2f\n", n, best[n] / best["baseline-crypto-hmac-keyed"] } }'

## drills: fault drills against real parts (worker killed, Temporal and PostgreSQL stopped, SMTP down, duplicate storm)
drills: build
	@$(GO) test -tags drills -count=1 -timeout 30m -run Drill -v ./cmd/webhookd > bin/drills.log 2>&1; rc=$$?; \
	  grep -E '^(=== RUN|--- |[a-z_]+ [a-z_]+: |PASS|FAIL|ok)|_test.go:' bin/drills.log; \
	  echo "full log: bin/drills.log"; \
	  if [ $$rc != 0 ]; then echo "last lines that are not JSON logs:"; grep -v '^{' bin/drills.log | tail -n 60; exit $$rc; fi; \
	  echo "2-minute soak at 20 events/s (fails when an accepted event did not succeed exactly once):"; \
	  $(GO) run ./cmd/bench --soak 2m --soak-rate 20 --soak-plot bin/soak-drill.svg > bin/soak-drill.log 2>&1; rc=$$?; \
	  grep -E '^(soak_|# |bench:)' bin/soak-drill.log; echo "full log: bin/soak-drill.log"; exit $$rc

## soak: a fresh dev stack under a steady mix of real-shaped traffic for SOAK_DURATION (default 10m) at SOAK_RATE events/s (default: 70 % of the e2e rate it measures first); one line a minute, final figures, bin/soak.log and bin/soak.svg
SOAK_DURATION ?= 10m
SOAK_RATE ?= 0
soak: build
	$(GO) run ./cmd/bench --soak $(SOAK_DURATION) --soak-rate $(SOAK_RATE) --soak-plot bin/soak.svg | tee bin/soak.log

## lint: vet, gofmt, staticcheck (pinned in go.mod as a tool)
lint:
	$(GO) vet ./...
	$(GO) vet -tags drills ./cmd/webhookd
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) tool staticcheck ./...
	$(GO) tool staticcheck -tags drills ./cmd/webhookd

## fuzz: run each fuzz target briefly
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime 20s ./internal/signature
	$(GO) test -run '^$$' -fuzz '^FuzzVerifyRequest$$' -fuzztime 20s ./internal/signature
	$(GO) test -run '^$$' -fuzz FuzzParseEnvelope -fuzztime 20s ./internal/provider

## smoke: docker-compose.yml's production stack run without Docker (its jobs, a Temporal server on PostgreSQL, 2 ingresses, 2 workers)
smoke: build
	$(GO) build -o bin/temporal-server go.temporal.io/server/cmd/server
	$(GO) build -o bin/temporal-sql-tool go.temporal.io/server/cmd/tools/sql
	$(GO) test -tags smoke -count=1 -v -run TestProductionStack ./deploy/smoke

## sizing: CPU per event of each component (ingress, worker, Temporal, PostgreSQL) and bytes per event of each database, on the smoke test's production topology at SIZING_RATE payments/s for SIZING_SECONDS (docs/sizing.md)
SIZING_RATE ?= 25
SIZING_SECONDS ?= 60
sizing: build
	$(GO) build -o bin/temporal-server go.temporal.io/server/cmd/server
	$(GO) build -o bin/temporal-sql-tool go.temporal.io/server/cmd/tools/sql
	SIZING=1 SIZING_RATE=$(SIZING_RATE) SIZING_SECONDS=$(SIZING_SECONDS) $(GO) test -tags smoke -count=1 -timeout 30m -v -run TestSizing ./deploy/smoke | grep -E '^(#|sizing_)|FAIL|ok ' | tee bin/sizing.log

## helm-lint: lint the Helm chart, render it with its default and production values and check the renders (deploy/helm/lint.sh; helm from the module proxy)
HELM ?= $(GO) run helm.sh/helm/v3/cmd/helm@v3.22.0
helm-lint:
	@HELM="$(HELM)" sh deploy/helm/lint.sh

## image: build webhookd's image from the Dockerfile as IMAGE (default webhookd:dev); push it where your cluster pulls from and set the chart's image.repository and image.tag
IMAGE ?= webhookd:dev
.PHONY: image
image:
	docker build -t $(IMAGE) .

## compose-config: validate docker-compose.yml (no Docker engine needed) with deploy/*.env.example filled in and its secret files made up; fails if `config` would print a secret
SECRET_VARS = POSTGRES_PASSWORD|POSTGRES_PWD|VISIBILITY_POSTGRES_PWD|SQL_PASSWORD|TEMPORAL_DB_PASSWORD|WEBHOOKD_DB_PASSWORD|DATABASE_URL|WEBHOOKD_SECRET_[A-Z0-9_]+|WEBHOOKD_ENCRYPTION_KEYS|WEBHOOKD_CODEC_AUTH_TOKEN|WEBHOOKD_API_TOKENS|WEBHOOKD_NOTIFY_SECRET|SMTP_URL|RESEND_API_KEY|SLACK_BOT_TOKEN|SLACK_WEBHOOK_URL|DISCORD_WEBHOOK_URL|TEMPORAL_API_KEY
compose-config:
	@d=$$(mktemp -d) && trap 'rm -rf $$d' EXIT && \
	sed -e 's/^WEBHOOKD_DOMAIN=$$/WEBHOOKD_DOMAIN=webhooks.example.com/' -e "s|^# WEBHOOKD_SECRETS_DIR=.*|WEBHOOKD_SECRETS_DIR=$$d/secrets|" deploy/stack.env.example > $$d/stack.env && \
	cp deploy/webhookd.env.example $$d/webhookd.env && \
	mkdir -p $$d/secrets/webhookd && \
	for f in postgres_password temporal_db_password webhookd/DATABASE_URL webhookd/WEBHOOKD_CODEC_AUTH_TOKEN \
	  $$(sed -n 's|^[# ]*[A-Z0-9_]*_FILE=/run/secrets/||p' deploy/webhookd.env.example); do \
	  echo "sentinel-$${f#webhookd/}-never-printed" > $$d/secrets/$$f; done && \
	WEBHOOKD_ENV_FILE=$$d/webhookd.env docker-compose --env-file $$d/stack.env -f docker-compose.yml --profile dev --profile tools config > $$d/config.yaml && \
	for s in $$(sed -n 's/^ *file: //p' $$d/config.yaml); do \
	  test -e "$$s" || { echo "docker-compose.yml: secret file $$s is not among the ones this target makes up"; exit 1; }; done && \
	if grep -n -e 'sentinel-' $$d/config.yaml; then echo "docker-compose.yml: config prints a secret's value"; exit 1; fi && \
	if grep -n -E '^ +($(SECRET_VARS)): ' $$d/config.yaml | grep -v '_FILE: '; then echo "docker-compose.yml: a secret variable has its value in config (use its _FILE and a secret)"; exit 1; fi && \
	echo "docker-compose.yml: valid (with the deploy/*.env.example files filled in); config shows no secret value"

clean:
	rm -rf bin
