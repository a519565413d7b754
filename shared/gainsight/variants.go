package gainsight

import (
	"context"
	"errors"
	"net/http"
	"sync"
)

// Endpoints whose path or method the spec leaves ambiguous. The client
// learns which variant a tenant serves (see Client.Variants); these names
// key Options.OnVariant and Client.Variants.
const (
	EndpointMetricCreate   = "metric.create"
	EndpointMetricUpdate   = "metric.update"
	EndpointMetricDelete   = "metric.delete"
	EndpointTemplateUpdate = "template.update"
)

// variant is one way of calling an endpoint.
type variant struct{ method, path string }

func (v variant) String() string { return v.method + " " + v.path }

// variants lists, for each ambiguous endpoint, the spec's literal reading
// first and the documented alternative second.
//
//   - Metric create, update and delete: the spec writes them without /v1
//     ("POST /csgoal/external/metric/", "DELETE /csgoal/external/metrics"),
//     every other endpoint with it. Literal: without; alternative: under /v1.
//   - Template update: the URL line reads "Put /v1/csgoal/external/template"
//     while the Method line above it reads "POST". The URL lines are the
//     ones that carry HTTP methods in this article (template create's
//     Method line says "CREATE", which is no HTTP method, and its URL line
//     "POST"), so PUT is the literal reading and POST the alternative. PUT
//     is also the safe first try: a POST to that path is template create,
//     which answers neither 404 nor 405 and could take an update for a
//     create, while a tenant that only takes POST answers a PUT with 405.
var variants = map[string][2]variant{
	EndpointMetricCreate:   {{http.MethodPost, PathMetric}, {http.MethodPost, PathMetricV1}},
	EndpointMetricUpdate:   {{http.MethodPut, PathMetric}, {http.MethodPut, PathMetricV1}},
	EndpointMetricDelete:   {{http.MethodDelete, PathDeleteMetrics}, {http.MethodDelete, PathDeleteMetricsV1}},
	EndpointTemplateUpdate: {{http.MethodPut, PathTemplate}, {http.MethodPost, PathTemplate}},
}

// variantMemo remembers, per endpoint, the variant the tenant answered.
type variantMemo struct {
	mu    sync.Mutex
	known map[string]int // endpoint → index into variants[endpoint]
}

func (m *variantMemo) get(endpoint string) (int, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.known[endpoint]
	return i, ok
}

// learn records i for endpoint and reports whether that is news.
func (m *variantMemo) learn(endpoint string, i int) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if j, ok := m.known[endpoint]; ok && j == i {
		return false
	}
	if m.known == nil {
		m.known = map[string]int{}
	}
	m.known[endpoint] = i
	return true
}

// forget drops what was learnt for endpoint if it is still i.
func (m *variantMemo) forget(endpoint string, i int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if j, ok := m.known[endpoint]; ok && j == i {
		delete(m.known, endpoint)
	}
}

// Variants returns the variant each ambiguous endpoint is known to use on
// this tenant, as "METHOD path" (for example
// "POST /csgoal/external/metric/"), keyed by the Endpoint* names. An
// endpoint is missing until a call to it (or Probe) got an answer from the
// tenant's API on one of its variants.
func (c *Client) Variants() map[string]string {
	c.memo.mu.Lock()
	defer c.memo.mu.Unlock()
	out := make(map[string]string, len(c.memo.known))
	for ep, i := range c.memo.known {
		out[ep] = variants[ep][i].String()
	}
	return out
}

// routeMissing reports a reply that says the variant does not exist on
// this tenant: HTTP 404 (no such path) or 405 (no such method on it),
// unless the body is a validation failure of the API itself.
func routeMissing(err error) bool {
	var e *APIError
	return errors.As(err, &e) && (e.Status == http.StatusNotFound || e.Status == http.StatusMethodNotAllowed) && !e.Validation()
}

// routeAnswered reports a reply that shows the variant exists: a success,
// or a failure the API itself gave (a validation error, an envelope
// failure, a 500 from the application). Replies that a gateway may give
// for any path (401, 403, 429, 502–504) and transport failures say
// nothing.
func routeAnswered(err error) bool {
	if err == nil {
		return true
	}
	var e *APIError
	if !errors.As(err, &e) || routeMissing(err) {
		return false
	}
	switch e.Status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return false
	}
	return true
}

// doVariant sends cl to an ambiguous endpoint. When the tenant's variant is
// known it is the only one tried. Otherwise the spec's literal variant is
// tried first and, on 404 or 405, the alternative once; the variant that
// answered is remembered for the life of the Client and reported through
// Options.OnVariant. If a remembered variant starts answering 404 or 405
// it is forgotten, so the next call tries both again.
func (c *Client) doVariant(ctx context.Context, endpoint string, cl call) (string, error) {
	vs := variants[endpoint]
	if i, ok := c.memo.get(endpoint); ok {
		cl.method, cl.path = vs[i].method, vs[i].path
		id, err := c.do(ctx, cl)
		if routeMissing(err) {
			c.memo.forget(endpoint, i)
		}
		return id, err
	}
	var first error
	for i, v := range vs {
		cl.method, cl.path = v.method, v.path
		id, err := c.do(ctx, cl)
		if routeMissing(err) {
			if first == nil {
				first = err
			}
			continue
		}
		if routeAnswered(err) {
			c.learned(endpoint, i)
		}
		return id, err
	}
	// Neither variant exists (a wrong base URL, say): the literal one's
	// answer.
	return "", first
}

func (c *Client) learned(endpoint string, i int) {
	if c.memo.learn(endpoint, i) && c.onVariant != nil {
		c.onVariant(endpoint, variants[endpoint][i].String())
	}
}

// probeBodies are the bodies Probe sends: empty lists, which no tenant can
// turn into a write.
var probeBodies = map[string]any{
	EndpointMetricCreate:   map[string]any{"requests": []any{}},
	EndpointMetricUpdate:   map[string]any{"requests": []any{}},
	EndpointMetricDelete:   map[string]any{"recordIds": []any{}},
	EndpointTemplateUpdate: map[string]any{"requests": []any{}},
}

// ProbeEndpoints are the endpoints Probe learns, in the order it probes
// them.
var ProbeEndpoints = []string{EndpointMetricCreate, EndpointMetricUpdate, EndpointMetricDelete, EndpointTemplateUpdate}

// Probe learns which variant of each ambiguous endpoint the tenant serves
// without writing anything, for a preflight check, and returns Variants.
// For each endpoint not yet known it sends the spec's literal variant and,
// if that answers 404 or 405, the alternative: at most two calls per
// endpoint and eight in all, each counted against the tenant's quota. The
// bodies are empty lists, refused by validation or answered with empty
// lists, never a write:
//
//	metric.create    POST   /csgoal/external/metric/     {"requests":[]}  then /v1/csgoal/external/metric/
//	metric.update    PUT    /csgoal/external/metric/     {"requests":[]}  then /v1/csgoal/external/metric/
//	metric.delete    DELETE /csgoal/external/metrics     {"recordIds":[]} then /v1/csgoal/external/metrics
//	template.update  PUT    /v1/csgoal/external/template {"requests":[]}  then POST (an empty create)
//
// Any answer other than 404 and 405 from the API (200, 400, a
// CSGoalException 500) proves the variant. Probe stops at the first reply
// that proves nothing (401, 403, 429, 502–504, a transport error) and
// returns it with what was learnt so far; if neither variant of an
// endpoint exists it returns the literal variant's 404 or 405.
func (c *Client) Probe(ctx context.Context) (map[string]string, error) {
	for _, ep := range ProbeEndpoints {
		if _, ok := c.memo.get(ep); ok {
			continue
		}
		vs := variants[ep]
		var first error
		learnt := false
		for i, v := range vs {
			_, err := c.do(ctx, call{method: v.method, path: v.path, in: probeBodies[ep]})
			if routeMissing(err) {
				if first == nil {
					first = err
				}
				continue
			}
			if !routeAnswered(err) {
				return c.Variants(), err
			}
			c.learned(ep, i)
			learnt = true
			break
		}
		if !learnt {
			return c.Variants(), first
		}
	}
	return c.Variants(), nil
}
