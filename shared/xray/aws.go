package xray

import (
	"net/http"
	"strings"
	"time"
)

// Doer sends one HTTP request: the AWS SDK's HTTP client (aws.HTTPClient).
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// AWSClient is a Doer for the AWS SDK clients (aws.Config.HTTPClient) that
// records each attempt made in a sampled invocation as a subsegment
// (namespace "aws") named after the service, with the operation, the
// region and the request id, and sends it with Emitter. Base sends the
// requests. With a nil Emitter it only passes requests on.
type AWSClient struct {
	Base    Doer
	Emitter *Emitter
}

// Do sends req with Base and records it.
func (c *AWSClient) Do(req *http.Request) (*http.Response, error) {
	if c.Emitter == nil {
		return c.Base.Do(req)
	}
	p, ok := ParentOf(req.Context())
	if !ok {
		return c.Base.Do(req)
	}
	start := time.Now()
	resp, err := c.Base.Do(req)
	service, op := awsOperation(req)
	s := New(p, service, "aws", start, time.Now())
	s.AWS = &AWS{Operation: cut(op, maxName), Region: cut(awsRegion(req.URL.Hostname()), 64)}
	if resp != nil {
		s.AWS.RequestID = cut(resp.Header.Get("X-Amzn-Requestid"), 128)
	}
	record(s, req, resp, err)
	c.Emitter.Send(s)
	return resp, err
}

// targetServices names the services of the X-Amz-Target prefixes the
// functions' clients send (the JSON protocols).
var targetServices = map[string]string{
	"DynamoDB_20120810": "DynamoDB",
	"AmazonSQS":         "SQS",
	"secretsmanager":    "SecretsManager",
}

// awsOperation is the service and operation of an SDK request, from its
// X-Amz-Target header ("DynamoDB_20120810.UpdateItem"); without one, the
// service is the host's first label and the operation "".
func awsOperation(req *http.Request) (service, op string) {
	if prefix, op, ok := strings.Cut(req.Header.Get("X-Amz-Target"), "."); ok {
		if name, known := targetServices[prefix]; known {
			return name, op
		}
		return prefix, op
	}
	host, _, _ := strings.Cut(req.URL.Hostname(), ".")
	return host, ""
}

// awsRegion is the region in an AWS endpoint's host
// ("dynamodb.eu-west-1.amazonaws.com"), or "" for another host (a local
// emulator).
func awsRegion(host string) string {
	labels := strings.Split(host, ".")
	if len(labels) >= 4 && labels[len(labels)-2] == "amazonaws" {
		return labels[1]
	}
	return ""
}
