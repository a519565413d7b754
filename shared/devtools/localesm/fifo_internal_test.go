package localesm

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestTapNotesVisibility: a visibility change that reaches SQS through the
// tap moves the release of the held message to half a second before the
// new visibility runs out; one SQS refused, or of a message no longer
// held, is not noted.
func TestTapNotesVisibility(t *testing.T) {
	status := http.StatusOK
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{}`))
	}))
	defer upstream.Close()
	r := &FIFORelease{held: map[string]time.Time{}}
	far := time.Now().Add(time.Hour)
	r.held["h1"], r.held["h2"] = far, far
	h, err := r.Tap(upstream.URL)
	if err != nil {
		t.Fatal(err)
	}
	tap := httptest.NewServer(h)
	defer tap.Close()
	call := func(op, body string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, tap.URL, strings.NewReader(body))
		req.Header.Set("X-Amz-Target", op)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	before := time.Now()
	call("AmazonSQS.ChangeMessageVisibilityBatch", `{"QueueUrl":"q","Entries":[{"Id":"a","ReceiptHandle":"h1","VisibilityTimeout":5},{"Id":"b","ReceiptHandle":"gone","VisibilityTimeout":5}]}`)
	if at := r.held["h1"]; at.Before(before.Add(4500*time.Millisecond)) || at.After(time.Now().Add(4500*time.Millisecond)) {
		t.Errorf("h1 released at %s, want 4.5 s after the change", at.Sub(before))
	}
	if _, ok := r.held["gone"]; ok {
		t.Error("a handle no longer held was noted")
	}
	call("AmazonSQS.ChangeMessageVisibility", `{"QueueUrl":"q","ReceiptHandle":"h2","VisibilityTimeout":7}`)
	if at := r.held["h2"]; at.Before(before.Add(6500*time.Millisecond)) || at.After(time.Now().Add(6500*time.Millisecond)) {
		t.Errorf("h2 released at %s, want 6.5 s after the change", at.Sub(before))
	}
	status = http.StatusBadRequest
	call("AmazonSQS.ChangeMessageVisibility", `{"QueueUrl":"q","ReceiptHandle":"h2","VisibilityTimeout":60}`)
	if at := r.held["h2"]; at.After(time.Now().Add(7 * time.Second)) {
		t.Error("a change SQS refused was noted")
	}
}
