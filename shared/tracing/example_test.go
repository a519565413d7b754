package tracing_test

import (
	"fmt"

	"github.com/goalrelay/goalrelay/shared/tracing"
)

func ExampleParse() {
	f, ok := tracing.Parse("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	fmt.Println(ok, f.Root, f.Parent, f.Sampled)
	// Output: true 1-5759e988-bd862e3fe1be46a994272793 53995c3f42cd8ad8 1
}
