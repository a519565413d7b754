package devstack

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/goalrelay/goalrelay/testevents"
)

// Reply is the front's answer to one request.
type Reply struct {
	Status int
	Header http.Header
	Body   string
}

// Request rebuilds the HTTP request a CRM sent from an API Gateway event
// (a testevents file) for frontURL: POST to the same path and query, with
// the same headers and body. The Host header keeps the event's host, so
// that signatures covering the URL (HubSpot v3) still verify.
func Request(ctx context.Context, frontURL string, ev events.APIGatewayV2HTTPRequest) (*http.Request, error) {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return nil, fmt.Errorf("devstack: event body: %w", err)
		}
		body = b
	}
	u := strings.TrimSuffix(frontURL, "/") + ev.RawPath
	if ev.RawQueryString != "" {
		u += "?" + ev.RawQueryString
	}
	method := ev.RequestContext.HTTP.Method
	if method == "" {
		method = http.MethodPost
	}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range ev.Headers {
		switch strings.ToLower(k) {
		case "host":
			req.Host = v
		case "content-length", "x-forwarded-for", "x-forwarded-port", "x-forwarded-proto", "x-amzn-trace-id":
			// set by the transport or by API Gateway itself
		default:
			req.Header.Set(k, v)
		}
	}
	for _, c := range ev.Cookies {
		req.Header.Add("Cookie", c)
	}
	return req, nil
}

// Send posts one testevents file (an ingest event) to the front and
// returns the answer.
func (s *Stack) Send(ctx context.Context, f testevents.File) (Reply, error) {
	return SendEvent(ctx, http.DefaultClient, s.FrontURL, f)
}

// SendEvent posts one testevents file to the front at frontURL.
func SendEvent(ctx context.Context, c *http.Client, frontURL string, f testevents.File) (Reply, error) {
	ev, err := f.Request()
	if err != nil {
		return Reply{}, fmt.Errorf("%s: %w", f.File, err)
	}
	req, err := Request(ctx, frontURL, ev)
	if err != nil {
		return Reply{}, fmt.Errorf("%s: %w", f.File, err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return Reply{}, fmt.Errorf("%s: %w", f.File, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Reply{}, fmt.Errorf("%s: %w", f.File, err)
	}
	return Reply{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}, nil
}
