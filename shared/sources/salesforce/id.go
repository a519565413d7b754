package salesforce

import "errors"

// errID is returned by NormalizeID for anything that is not a Salesforce id.
var errID = errors.New("salesforce: not a 15- or 18-character Salesforce id")

// suffixAlphabet encodes the five case bits of one 5-character chunk.
const suffixAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

// NormalizeID returns the 18-character form of a Salesforce id.
//
// A 15-character id is case-sensitive; its 18-character form appends three
// characters, one per 5-character chunk, that encode which characters of
// the chunk are upper-case letters (bit i set for position i), as an index
// into A–Z0–5. An 18-character id is case-insensitive: its suffix restores
// the case of the first 15 characters, so "00D5E000000ABCDEAK" and
// "00d5e000000abcdeak" both normalise to "00D5e000000AbCdEAK". Anything
// else (other lengths, characters other than ASCII letters and digits, a
// suffix that contradicts the id) is an error.
func NormalizeID(id string) (string, error) {
	var b [18]byte
	switch len(id) {
	case 15:
		copy(b[:], id)
		for i := 0; i < 15; i++ {
			if !isAlnum(b[i]) {
				return "", errID
			}
		}
		for chunk := 0; chunk < 3; chunk++ {
			bits := 0
			for j := 0; j < 5; j++ {
				if c := b[chunk*5+j]; 'A' <= c && c <= 'Z' {
					bits |= 1 << j
				}
			}
			b[15+chunk] = suffixAlphabet[bits]
		}
		return string(b[:]), nil
	case 18:
		copy(b[:], id)
		for i := 0; i < 18; i++ {
			if !isAlnum(b[i]) {
				return "", errID
			}
		}
		for chunk := 0; chunk < 3; chunk++ {
			s := b[15+chunk]
			if 'a' <= s && s <= 'z' {
				s -= 'a' - 'A'
			}
			bits := -1
			for k := 0; k < len(suffixAlphabet); k++ {
				if suffixAlphabet[k] == s {
					bits = k
					break
				}
			}
			if bits < 0 {
				return "", errID
			}
			b[15+chunk] = s
			for j := 0; j < 5; j++ {
				p := &b[chunk*5+j]
				upper := bits&(1<<j) != 0
				switch {
				case '0' <= *p && *p <= '9':
					if upper {
						return "", errID
					}
				case upper && 'a' <= *p && *p <= 'z':
					*p -= 'a' - 'A'
				case !upper && 'A' <= *p && *p <= 'Z':
					*p += 'a' - 'A'
				}
			}
		}
		return string(b[:]), nil
	}
	return "", errID
}
