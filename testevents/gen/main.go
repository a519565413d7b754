// Command gen rewrites the files of testevents/ for the current time:
//
//	go run ./testevents/gen            # from the module root
//	go run ./testevents/gen -dir DIR   # somewhere else
//
// HubSpot v3 and Standard Webhooks signatures are valid for five minutes, so
// run it right before `sam local invoke -e testevents/<file>.json`.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/goalrelay/goalrelay/shared/devtools/rie"
	"github.com/goalrelay/goalrelay/testevents"
)

func main() {
	dir := flag.String("dir", "", "output directory (default: testevents/ of the module)")
	flag.Parse()
	root, err := rie.ModuleRoot(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if *dir == "" {
		*dir = filepath.Join(root, "testevents")
	}
	set, err := testevents.Generate(time.Now(), root)
	if err == nil {
		err = set.Write(*dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %d events, manifest.json, secrets.json and env.json to %s (time-sensitive ones valid until %s)\n",
		len(set.Files), *dir, set.Manifest.GeneratedAt.Add(5*time.Minute).Local().Format(time.TimeOnly))
}
