package state

import (
	"math/big"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// A goal's version (the CRM change time of the last applied event) is
// stored as a DynamoDB Number holding nanoseconds since the Unix epoch.
// For times between 1678 and 2262 that is exactly time.UnixNano, the form
// earlier releases wrote; outside that range UnixNano overflows (2300
// would read back as 1715 and break last-write-wins), so the number is
// computed without a 64-bit limit: DynamoDB Numbers carry 38 digits, and
// every time from year 1 to 9999 needs at most 21.

var nanosPerSecond = big.NewInt(int64(time.Second))

// versionNumber is t as nanoseconds since the epoch, in decimal.
func versionNumber(t time.Time) types.AttributeValue {
	n := big.NewInt(t.Unix())
	n.Mul(n, nanosPerSecond)
	n.Add(n, big.NewInt(int64(t.Nanosecond())))
	return &types.AttributeValueMemberN{Value: n.String()}
}

// getVersion reads a version written by versionNumber (or by UnixNano).
func getVersion(item map[string]types.AttributeValue, name string) (time.Time, bool) {
	v, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return time.Time{}, false
	}
	n, ok := new(big.Int).SetString(v.Value, 10)
	if !ok {
		return time.Time{}, false
	}
	sec, nsec := new(big.Int).DivMod(n, nanosPerSecond, new(big.Int)) // Euclidean: 0 <= nsec < 1e9
	if !sec.IsInt64() {
		return time.Time{}, false
	}
	return time.Unix(sec.Int64(), nsec.Int64()).UTC(), true
}
