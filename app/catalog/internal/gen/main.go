// Command gen builds the settings dictionary the binary embeds from the
// settings-catalog definitions beside the project (go generate ./app/catalog).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"atlas/app/catalog"
)

func main() {
	from := flag.String("from", "", "the folder or file of setting definitions")
	to := flag.String("to", "", "the dictionary file to write")
	flag.Parse()
	d, err := catalog.Build(*from)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(1)
	}
	var b bytes.Buffer
	if err := d.Encode(&b); err != nil {
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*to, b.Bytes(), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("gen: %s: %s, %d bytes\n", *to, d.Counts(), b.Len())
}
