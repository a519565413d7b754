package salesforce_test

import (
	"errors"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/sources/salesforce"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

// Salesforce sends 1 to 100 notifications in one Outbound Message; more is
// refused whole, so that one message cannot spend the day's quota.
func TestNotificationLimit(t *testing.T) {
	tests := []struct {
		n    int
		want error
	}{
		{1, nil},
		{salesforce.Source.MaxBatch, nil},
		{salesforce.Source.MaxBatch + 1, webhook.ErrMalformed},
		{2500, webhook.ErrMalformed},
	}
	for _, tt := range tests {
		r := &webhook.Request{Method: "POST", Body: opportunities(tt.n)}
		changes, err := salesforce.Source.Open(r, secretJSON, time.Now())
		if !errors.Is(err, tt.want) || tt.want == nil && err != nil {
			t.Errorf("%d notifications: %v, want %v", tt.n, err, tt.want)
		}
		if tt.want != nil && len(changes) != 0 {
			t.Errorf("%d notifications: %d changes despite the refusal", tt.n, len(changes))
		}
		if tt.want == nil && len(changes) != tt.n {
			t.Errorf("%d notifications: %d changes", tt.n, len(changes))
		}
	}
	if salesforce.Source.MaxBatch != 100 {
		t.Errorf("MaxBatch = %d, Salesforce documents 100", salesforce.Source.MaxBatch)
	}
}
