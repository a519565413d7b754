package secrets_test

import (
	"fmt"

	"github.com/goalrelay/goalrelay/shared/secrets"
)

func ExampleParseAccessKey() {
	for _, v := range []string{"0a1b2c3d\n", `{"accessKey": "0a1b2c3d"}`, `{"key": "0a1b2c3d"}`} {
		k, err := secrets.ParseAccessKey(v)
		fmt.Printf("%q %v\n", k, err)
	}
	// Output:
	// "0a1b2c3d" <nil>
	// "0a1b2c3d" <nil>
	// "" secret value has the wrong format: JSON without a non-empty "accessKey" member
}
