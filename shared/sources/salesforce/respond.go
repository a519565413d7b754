package salesforce

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"strings"
	"unicode"

	"github.com/goalrelay/goalrelay/shared/webhook"
)

// ContentType is the content type of every answer to Salesforce.
const ContentType = "text/xml; charset=utf-8"

// AckXML is the notificationsResponse that acknowledges every
// notification of a message. Salesforce treats anything else, including
// a 200 with another body, as not delivered and retries.
const AckXML = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
  <soapenv:Body>
    <notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">
      <Ack>true</Ack>
    </notificationsResponse>
  </soapenv:Body>
</soapenv:Envelope>
`

// maxFaultString bounds the reason echoed in a SOAP Fault, in bytes, the
// cut marker included: the reason may quote the request.
const maxFaultString = 200

// faultString is reason on one line (each control character, newline or
// line separator a space, each invalid UTF-8 byte U+FFFD), cut at a
// character boundary to at most maxFaultString bytes, ending with "…"
// when cut. XML escaping comes after.
func faultString(reason string) string {
	const mark = "…"
	var b strings.Builder
	fit := 0
	for _, r := range reason {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			r = ' '
		}
		b.WriteRune(r)
		if b.Len() > maxFaultString {
			return b.String()[:fit] + mark
		}
		if b.Len() <= maxFaultString-len(mark) {
			fit = b.Len()
		}
	}
	return b.String()
}

// Respond answers Salesforce in its protocol. A 2xx status (every
// notification queued, or nothing to do) gives HTTP 200 with AckXML: the
// Ack covers the whole message, so the ingest function calls Respond with
// a 2xx only after every notification is queued.
//
// Any other status gives a SOAP 1.1 Fault, which Salesforce does not count
// as delivered and so retries with backoff for up to 24 hours. The HTTP
// status is kept (401, 400, 404, 413, 500, 503, ...) so that the failure
// shows as such both in the API Gateway logs and in Salesforce's outbound
// message queue (Setup → Outbound Messages, "Delivery Failure Reason");
// a status outside 400–599 becomes 500. faultcode is soapenv:Client for
// 4xx and soapenv:Server for 5xx; faultstring is reason (or the status
// text), which must be free of secrets; it is put on one line and cut to
// 200 bytes (see faultString).
func (a *Adapter) Respond(status, queued int, reason string) webhook.Response {
	if status >= 200 && status < 300 {
		return webhook.Response{Status: http.StatusOK, ContentType: ContentType, Body: []byte(AckXML)}
	}
	if status < 400 || status > 599 {
		status = http.StatusInternalServerError
	}
	code := "soapenv:Server"
	if status < 500 {
		code = "soapenv:Client"
	}
	if reason == "" {
		reason = http.StatusText(status)
	}
	reason = faultString(reason)
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
  <soapenv:Body>
    <soapenv:Fault>
      <faultcode>`)
	b.WriteString(code)
	b.WriteString(`</faultcode>
      <faultstring>`)
	xml.EscapeText(&b, []byte(reason))
	b.WriteString(`</faultstring>
    </soapenv:Fault>
  </soapenv:Body>
</soapenv:Envelope>
`)
	return webhook.Response{Status: status, ContentType: ContentType, Body: b.Bytes()}
}
