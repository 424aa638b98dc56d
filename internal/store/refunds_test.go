package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/webhookd/webhookd/internal/store"
)

func paymentRow(t *testing.T, st *store.Store, id string) store.Payment {
	t.Helper()
	ps, err := st.Payments(context.Background(), "usr_1")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.ID == id {
			return p
		}
	}
	t.Fatalf("payment %s not recorded", id)
	return store.Payment{}
}

func wantRefunded(t *testing.T, st *store.Store, id string, refunded int64, status string) {
	t.Helper()
	p := paymentRow(t, st, id)
	if p.RefundedAmount.Int64 != refunded || p.Status != status {
		t.Errorf("payment %s: refunded %d (%s), want %d (%s)", id, p.RefundedAmount.Int64, p.Status, refunded, status)
	}
}

// Two partial refunds add up, a redelivery changes nothing, and a refund
// that would make more than the payment is invalid and kept out.
func TestPartialRefundsAddUp(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	if _, err := st.RecordPayment(ctx, store.Payment{ID: "pay_1", UserID: "usr_1", Amount: 1500, Currency: "JPY", Status: "succeeded"}); err != nil {
		t.Fatal(err)
	}
	refund := func(id string, amount int64) (store.RefundOutcome, error) {
		return st.RecordRefund(ctx, store.Refund{ID: id, Provider: "dodo", PaymentRef: "pay_1", Amount: amount, Currency: "JPY", Status: "succeeded"})
	}
	for _, r := range []struct {
		id     string
		amount int64
	}{{"ref_500", 500}, {"ref_300", 300}, {"ref_500", 500}} {
		if _, err := refund(r.id, r.amount); err != nil {
			t.Fatal(err)
		}
	}
	wantRefunded(t, st, "pay_1", 800, store.PaymentPartiallyRefunded)
	if _, err := refund("ref_big", 701); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("a refund past the payment: err = %v, want ErrInvalid", err)
	}
	wantRefunded(t, st, "pay_1", 800, store.PaymentPartiallyRefunded)
	out, err := refund("ref_700", 700)
	if err != nil || out.Refunded != 1500 || out.Status != store.PaymentRefunded {
		t.Errorf("the rest refunded: %+v, %v", out, err)
	}
	// A refund that failed after all no longer counts, and stays failed
	// when its success is redelivered.
	if _, err := st.RecordRefund(ctx, store.Refund{ID: "ref_700", Provider: "dodo", PaymentRef: "pay_1", Amount: 700, Currency: "JPY", Status: "failed"}); err != nil {
		t.Fatal(err)
	}
	if _, err := refund("ref_700", 700); err != nil {
		t.Fatal(err)
	}
	wantRefunded(t, st, "pay_1", 800, store.PaymentPartiallyRefunded)
}

// A refund of a payment not recorded yet is kept, and counts once the
// payment comes; a Stripe refund that names the PaymentIntent of an invoice
// finds the invoice's payment through its reference, whichever came first;
// a charge's running total and its single refunds are not counted twice.
func TestRefundsConvergeInAnyOrder(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	out, err := st.RecordRefund(ctx, store.Refund{ID: "ref_early", Provider: "dodo", PaymentRef: "pay_late", Amount: 200, Currency: "USD", Status: "succeeded"})
	if err != nil || out.PaymentID != "" {
		t.Fatalf("refund before its payment: %+v, %v", out, err)
	}
	// The payment whose refund came first is new once (the product is
	// told of it once), and its row has the refund from the start.
	for i, want := range []bool{true, false} {
		ins, err := st.RecordPayment(ctx, store.Payment{ID: "pay_late", UserID: "usr_1", Amount: 1000, Currency: "USD", Status: "succeeded"})
		if err != nil || ins != want {
			t.Fatalf("record payment after its refund, call %d: inserted %v, %v; want %v", i+1, ins, err, want)
		}
	}
	wantRefunded(t, st, "pay_late", 200, store.PaymentPartiallyRefunded)

	// Stripe: the refund (pi_) before the reference, then the invoice (in_).
	for _, r := range []store.Refund{
		{ID: "re_1", Provider: "stripe", PaymentRef: "pi_1", Amount: 2000, Currency: "USD", Status: "succeeded"},
		{ID: "charge:ch_1", Provider: "stripe", PaymentRef: "pi_1", Amount: 2000, Currency: "USD", Status: "succeeded", RunningTotal: true},
	} {
		if _, err := st.RecordRefund(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.AddPaymentRef(ctx, "pi_1", "in_1"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RecordPayment(ctx, store.Payment{ID: "in_1", UserID: "usr_1", Amount: 5000, Currency: "USD", Status: "succeeded"}); err != nil {
		t.Fatal(err)
	}
	wantRefunded(t, st, "in_1", 2000, store.PaymentPartiallyRefunded)
	// A second refund: the charge's running total says 3000 before the
	// refund itself arrives; then both agree.
	if _, err := st.RecordRefund(ctx, store.Refund{ID: "charge:ch_1", Provider: "stripe", PaymentRef: "pi_1", Amount: 3000, Currency: "USD", Status: "succeeded", RunningTotal: true}); err != nil {
		t.Fatal(err)
	}
	wantRefunded(t, st, "in_1", 3000, store.PaymentPartiallyRefunded)
	if _, err := st.RecordRefund(ctx, store.Refund{ID: "re_2", Provider: "stripe", PaymentRef: "pi_1", Amount: 1000, Currency: "USD", Status: "succeeded"}); err != nil {
		t.Fatal(err)
	}
	wantRefunded(t, st, "in_1", 3000, store.PaymentPartiallyRefunded)
	// A redelivered older running total changes nothing.
	if _, err := st.RecordRefund(ctx, store.Refund{ID: "charge:ch_1", Provider: "stripe", PaymentRef: "pi_1", Amount: 2000, Currency: "USD", Status: "succeeded", RunningTotal: true}); err != nil {
		t.Fatal(err)
	}
	wantRefunded(t, st, "in_1", 3000, store.PaymentPartiallyRefunded)
	// A full refund without an amount.
	if _, err := st.RecordRefund(ctx, store.Refund{ID: "ref_full", Provider: "dodo", PaymentRef: "pay_late", Status: "succeeded", Full: true}); err != nil {
		t.Fatal(err)
	}
	wantRefunded(t, st, "pay_late", 1000, store.PaymentRefunded)
	if _, err := st.RecordRefund(ctx, store.Refund{ID: "ref_neg", Provider: "dodo", PaymentRef: "pay_late", Amount: -1, Status: "succeeded"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("negative refund: %v, want ErrInvalid", err)
	}
}

// Refunds of one payment recorded at once, and refunds racing the
// payment's own insert and its reference, all count: each transaction
// holds the payment's names, so the last to commit sees every refund.
func TestConcurrentRefundsAllCount(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	if _, err := st.RecordPayment(ctx, store.Payment{ID: "pay_c", UserID: "usr_1", Amount: 10000, Currency: "USD", Status: "succeeded"}); err != nil {
		t.Fatal(err)
	}
	const n = 20
	errs := make(chan error, 3*n+2)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(3)
		go func() {
			defer wg.Done()
			_, err := st.RecordRefund(ctx, store.Refund{ID: fmt.Sprintf("ref_c%d", i), Provider: "dodo", PaymentRef: "pay_c", Amount: 10, Currency: "USD", Status: "succeeded"})
			errs <- err
		}()
		go func() { // before its payment exists
			defer wg.Done()
			_, err := st.RecordRefund(ctx, store.Refund{ID: fmt.Sprintf("ref_l%d", i), Provider: "dodo", PaymentRef: "pay_racing", Amount: 10, Currency: "USD", Status: "succeeded"})
			errs <- err
		}()
		go func() { // under the PaymentIntent of an invoice
			defer wg.Done()
			_, err := st.RecordRefund(ctx, store.Refund{ID: fmt.Sprintf("re_%d", i), Provider: "stripe", PaymentRef: "pi_racing", Amount: 10, Currency: "USD", Status: "succeeded"})
			errs <- err
		}()
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, err := st.RecordPayment(ctx, store.Payment{ID: "pay_racing", UserID: "usr_1", Amount: 10000, Currency: "USD", Status: "succeeded"})
		errs <- err
	}()
	go func() {
		defer wg.Done()
		if err := st.AddPaymentRef(ctx, "pi_racing", "in_racing"); err != nil {
			errs <- err
			return
		}
		_, err := st.RecordPayment(ctx, store.Payment{ID: "in_racing", UserID: "usr_1", Amount: 10000, Currency: "USD", Status: "succeeded"})
		errs <- err
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"pay_c", "pay_racing", "in_racing"} {
		wantRefunded(t, st, id, 10*n, store.PaymentPartiallyRefunded)
	}
}
