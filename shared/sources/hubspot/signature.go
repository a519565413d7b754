package hubspot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// Header names as HubSpot sends them, lower-cased as webhook.Request holds
// them (HTTP header names are case-insensitive).
const (
	HeaderSignature        = "x-hubspot-signature"         // legacy v1 or v2, hex
	HeaderSignatureVersion = "x-hubspot-signature-version" // "v1" or "v2"
	HeaderSignatureV3      = "x-hubspot-signature-v3"      // base64 HMAC-SHA256
	HeaderTimestamp        = "x-hubspot-request-timestamp" // Unix epoch milliseconds
)

// DefaultTolerance is how far the v3 timestamp may lie from now, in either
// direction (HubSpot's SDKs use 300000 ms).
const DefaultTolerance = 5 * time.Minute

// uriDecodes is HubSpot's complete table of percent-encodings that are
// decoded in the request URI before signing with v3. Anything else (%20,
// %26, %3D, ...) stays encoded.
var uriDecodes = [...]struct {
	hex string // upper-case hex digits after '%'
	c   byte
}{
	{"3A", ':'}, {"2F", '/'}, {"3F", '?'}, {"40", '@'}, {"21", '!'}, {"24", '$'},
	{"27", '\''}, {"28", '('}, {"29", ')'}, {"2A", '*'}, {"2C", ','}, {"3B", ';'},
}

// NormalizeURI applies HubSpot's v3 URI decoding rules to uri: the twelve
// percent-encodings HubSpot lists (%3A %2F %3F %40 %21 %24 %27 %28 %29 %2A
// %2C %3B, either hex case) are decoded, everything else is left as is.
// The result is what HubSpot puts into the v3 source string.
func NormalizeURI(uri string) string {
	i := strings.IndexByte(uri, '%')
	if i < 0 {
		return uri
	}
	var b strings.Builder
	b.Grow(len(uri))
	b.WriteString(uri[:i])
	for ; i < len(uri); i++ {
		c := uri[i]
		if c == '%' && i+2 < len(uri) {
			if d, ok := decodeListed(uri[i+1], uri[i+2]); ok {
				b.WriteByte(d)
				i += 2
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

func decodeListed(h1, h2 byte) (byte, bool) {
	h1, h2 = upperHex(h1), upperHex(h2)
	for _, e := range uriDecodes {
		if e.hex[0] == h1 && e.hex[1] == h2 {
			return e.c, true
		}
	}
	return 0, false
}

func upperHex(c byte) byte {
	if c >= 'a' && c <= 'f' {
		return c - 'a' + 'A'
	}
	return c
}

// macV3 is HMAC-SHA256(secret, method + uri + body + timestamp), uri
// already normalised.
func macV3(secret, method, uri string, body []byte, timestamp string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(method))
	m.Write([]byte(uri))
	m.Write(body)
	m.Write([]byte(timestamp))
	return m.Sum(nil)
}

// sumV2 is SHA-256(secret + method + uri + body); sumV1 is the same with
// empty method and uri.
func sumV2(secret, method, uri string, body []byte) []byte {
	h := sha256.New()
	h.Write([]byte(secret))
	h.Write([]byte(method))
	h.Write([]byte(uri))
	h.Write(body)
	return h.Sum(nil)
}

// SignV3 returns the headers HubSpot would send with a v3-signed request:
// X-HubSpot-Signature-v3 and X-HubSpot-Request-Timestamp (ts in Unix
// milliseconds), with lower-case names as webhook.Request holds them. uri
// is the full public URL the request is sent to (scheme, host, path,
// query); it is normalised with NormalizeURI as HubSpot does. For tests,
// testevents and the goalctl CLI.
func SignV3(secret, method, uri string, body []byte, ts time.Time) map[string]string {
	t := strconv.FormatInt(ts.UnixMilli(), 10)
	sig := macV3(secret, method, NormalizeURI(uri), body, t)
	return map[string]string{
		HeaderSignatureV3: base64.StdEncoding.EncodeToString(sig),
		HeaderTimestamp:   t,
	}
}

// SignV2 returns the headers of a legacy v2 signature, as HubSpot sends
// with workflow "Send a webhook" requests: X-HubSpot-Signature (hex
// SHA-256 of secret + method + uri + body) and X-HubSpot-Signature-Version
// "v2". uri is used exactly as given.
func SignV2(secret, method, uri string, body []byte) map[string]string {
	return map[string]string{
		HeaderSignature:        hex.EncodeToString(sumV2(secret, method, uri, body)),
		HeaderSignatureVersion: "v2",
	}
}

// SignV1 returns the headers of a legacy v1 signature (hex SHA-256 of
// secret + body), as HubSpot sends alongside v3 on Webhooks API
// deliveries. Verify never accepts v1 alone; the helper exists to test
// that and to check HubSpot's published vectors.
func SignV1(secret string, body []byte) map[string]string {
	return map[string]string{
		HeaderSignature:        hex.EncodeToString(sumV2(secret, "", "", body)),
		HeaderSignatureVersion: "v1",
	}
}
