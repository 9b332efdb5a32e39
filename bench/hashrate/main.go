// Command hashrate prints how fast one core hashes a file with md5 and
// with sha512: the ceiling for any upload that must report both digests
// of every byte (Glance's checksum and os_hash_value, Swift's ETag), since
// each digest is a sequential chain over the whole stream. The file is
// read into memory first so the disk is not measured.
//
//	go run ./bench/hashrate FILE
package main

import (
	"crypto/md5"
	"crypto/sha512"
	"fmt"
	"hash"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: hashrate FILE")
		os.Exit(2)
	}
	b, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, c := range []struct {
		name string
		h    hash.Hash
	}{{"md5", md5.New()}, {"sha512", sha512.New()}} {
		t0 := time.Now()
		for off := 0; off < len(b); off += 1 << 20 {
			c.h.Write(b[off:min(off+1<<20, len(b))])
		}
		c.h.Sum(nil)
		d := time.Since(t0)
		fmt.Printf("%s: %.0f MiB/s (%.2f s for %d MiB)\n", c.name, float64(len(b))/(1<<20)/d.Seconds(), d.Seconds(), len(b)>>20)
	}
}
