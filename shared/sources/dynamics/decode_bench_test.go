package dynamics

import "testing"

// BenchmarkDecode compares decode.go with the encoding/json oracle on the
// testdata bodies: one op decodes all three and reads each Target as an
// entity, which is all the decoding Parse does.
func BenchmarkDecode(b *testing.B) {
	var bodies [][]byte
	size := 0
	for _, name := range []string{"opportunity-update.json", "opportunity-create.json", "opportunity-delete.json"} {
		body := readTestdata(b, name)
		bodies, size = append(bodies, body), size+len(body)
	}
	for _, impl := range []struct {
		name   string
		decode func([]byte, *executionContext) error
	}{
		{"handwritten", decodeContext},
		{"encoding_json", oracleDecodeContext},
	} {
		b.Run(impl.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				for _, body := range bodies {
					var c executionContext
					if err := impl.decode(body, &c); err != nil {
						b.Fatal(err)
					}
					for i := range c.InputParameters {
						if p := &c.InputParameters[i]; p.Key == "Target" && !isNull(p.Value) {
							if _, err := p.entity(); err != nil {
								b.Fatal(err)
							}
						}
					}
				}
			}
		})
	}
}
