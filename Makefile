# webhookd — see README.md.
GO ?= go
DATA_DIR ?= .data

.PHONY: dev test build lint fuzz bench drills soak smoke compose-config helm-lint clean

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
bench: build
	$(GO) run ./cmd/bench $(BENCH_FLAGS)
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./internal/signature | awk '{ print } \
		$$1 ~ /^BenchmarkVerify\// { n = $$1; sub(/^BenchmarkVerify\//, "", n); sub(/-[0-9]+$$/, "", n); \
		  if (!(n in best)) order[++k] = n; if (!(n in best) || $$3 < best[n]) best[n] = $$3 } \
		END { for (i = 1; i <= k; i++) { n = order[i]; if (n ~ /^baseline/) continue; \
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
	$(GO) test -run '^$$' -fuzz FuzzVerify -fuzztime 20s ./internal/signature
	$(GO) test -run '^$$' -fuzz FuzzParseEnvelope -fuzztime 20s ./internal/provider

## smoke: docker-compose.yml's production stack run without Docker (its jobs, a Temporal server on PostgreSQL, 2 ingresses, 2 workers)
smoke: build
	$(GO) build -o bin/temporal-server go.temporal.io/server/cmd/server
	$(GO) build -o bin/temporal-sql-tool go.temporal.io/server/cmd/tools/sql
	$(GO) test -tags smoke -count=1 -v -run TestProductionStack ./deploy/smoke

## helm-lint: lint the Helm chart and render it with its default and production values (helm from the module proxy)
HELM ?= $(GO) run helm.sh/helm/v3/cmd/helm@v3.22.0
helm-lint:
	$(HELM) lint --strict deploy/helm/webhookd
	$(HELM) lint --strict deploy/helm/webhookd -f deploy/helm/webhookd/values-production.yaml
	$(HELM) template webhookd deploy/helm/webhookd --kube-version 1.30.0 > /dev/null
	$(HELM) template webhookd deploy/helm/webhookd --kube-version 1.30.0 -f deploy/helm/webhookd/values-production.yaml > /dev/null
	@echo "deploy/helm/webhookd: lint and template pass (default and production values)"

## compose-config: validate docker-compose.yml (no Docker engine needed)
compose-config:
	@d=$$(mktemp -d) && trap 'rm -rf $$d' EXIT && \
	sed -e 's/^WEBHOOKD_DOMAIN=$$/WEBHOOKD_DOMAIN=webhooks.example.com/' -e 's/^\([A-Z_]*PASSWORD\)=$$/\1=check/' deploy/stack.env.example > $$d/stack.env && \
	sed -e 's/^WEBHOOKD_SECRET_DODO=$$/WEBHOOKD_SECRET_DODO=whsec_Y2hlY2stY2hlY2s=/' deploy/webhookd.env.example > $$d/webhookd.env && \
	WEBHOOKD_ENV_FILE=$$d/webhookd.env docker-compose --env-file $$d/stack.env -f docker-compose.yml --profile dev --profile tools config -q && \
	echo "docker-compose.yml: valid (with the deploy/*.env.example files filled in)"

clean:
	rm -rf bin
