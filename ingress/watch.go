package ingress

import (
	"sync"
	"time"
)

// burstWatch counts failures per key (a provider's signature rejections,
// the database's 503s) over a sliding window and reports once when they
// reach the threshold; it reports again only after the count has fallen
// back below it.
type burstWatch struct {
	threshold int
	window    time.Duration
	report    func(provider string, count int, reasons map[string]int)

	mu    sync.Mutex
	seen  map[string][]rejection
	fired map[string]bool
}

type rejection struct {
	at     time.Time
	reason string
}

func (w *burstWatch) add(provider, reason string, now time.Time) {
	if w == nil || w.report == nil || w.threshold <= 0 {
		return
	}
	w.mu.Lock()
	list := append(w.seen[provider], rejection{now, reason})
	cut := 0
	for cut < len(list) && now.Sub(list[cut].at) > w.window {
		cut++
	}
	list = list[cut:]
	w.seen[provider] = list
	if len(list) < w.threshold {
		w.fired[provider] = false
		w.mu.Unlock()
		return
	}
	if w.fired[provider] {
		w.mu.Unlock()
		return
	}
	w.fired[provider] = true
	reasons := map[string]int{}
	for _, r := range list {
		reasons[r.reason]++
	}
	w.mu.Unlock()
	go w.report(provider, len(list), reasons)
}
