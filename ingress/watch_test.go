package ingress

import (
	"sync"
	"testing"
	"time"
)

// The watch reports once when a provider's rejections reach the threshold
// within the window, and again only after they fell below it.
func TestSignatureWatch(t *testing.T) {
	var mu sync.Mutex
	var reports []int
	done := make(chan struct{}, 10)
	w := &burstWatch{threshold: 3, window: time.Minute, seen: map[string][]rejection{}, fired: map[string]bool{},
		report: func(_ string, n int, reasons map[string]int) {
			mu.Lock()
			reports = append(reports, n)
			mu.Unlock()
			done <- struct{}{}
		}}
	t0 := time.Unix(1_700_000_000, 0)
	for i := 0; i < 6; i++ { // 3 reach it; 4 to 6 are the same incident
		w.add("dodo", "mismatch", t0.Add(time.Duration(i)*time.Second))
	}
	w.add("other", "stale", t0)
	<-done
	// Two minutes later the window holds one: below, then a new burst.
	for i := 0; i < 3; i++ {
		w.add("dodo", "mismatch", t0.Add(2*time.Minute+time.Duration(i)*time.Second))
	}
	<-done
	mu.Lock()
	defer mu.Unlock()
	if len(reports) != 2 || reports[0] != 3 || reports[1] != 3 {
		t.Errorf("reports = %v, want [3 3]", reports)
	}
}
