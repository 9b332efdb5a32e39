// Command s3rate times large-object PUT and GET through stratus (Swift
// API, its S3 blob backend behind it) and through the S3 gateway alone,
// with the same Go HTTP stack and buffers, interleaved round by round.
// The gateway side uses minio-go, the library stratus's backend uses,
// with the same part size and parallelism, so it is the gateway's best
// case for that client.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

func main() {
	gw := flag.String("gateway", "", "S3 gateway endpoint (http://127.0.0.1:PORT)")
	bucket := flag.String("bucket", "gateway-bench", "gateway bucket")
	storage := flag.String("storage", "", "stratus storage URL (http://127.0.0.1:PORT/object-store/v1/AUTH_x)")
	token := flag.String("token", "", "stratus X-Auth-Token")
	sizeMB := flag.Int("size-mb", 1024, "object size")
	rounds := flag.Int("rounds", 5, "rounds")
	partMB := flag.Int("part-mb", 16, "gateway multipart part size (stratus's default)")
	threads := flag.Int("threads", 4, "gateway parts in flight (stratus's default)")
	unsigned := flag.Bool("unsigned", false, "gateway PUTs with UNSIGNED-PAYLOAD (as stratus with unsigned_payload=true)")
	flag.Parse()
	for _, u := range []string{*gw, *storage} {
		if !strings.HasPrefix(u, "http://127.0.0.1") {
			fmt.Fprintln(os.Stderr, "s3rate: only 127.0.0.1 targets")
			os.Exit(2)
		}
	}
	ctx := context.Background()
	gu, _ := url.Parse(*gw)
	cl, err := minio.New(gu.Host, &minio.Options{Creds: credentials.NewStaticV4(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), ""),
		Region: "us-east-1", BucketLookup: minio.BucketLookupPath})
	must(err)
	if ok, _ := cl.BucketExists(ctx, *bucket); !ok {
		must(cl.MakeBucket(ctx, *bucket, minio.MakeBucketOptions{}))
	}
	size := int64(*sizeMB) << 20
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i*7 + i>>13)
	}
	hc := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	req := func(method, u string, body io.Reader) {
		r, _ := http.NewRequest(method, u, body)
		r.Header.Set("X-Auth-Token", *token)
		if body != nil {
			r.ContentLength = size
		}
		resp, err := hc.Do(r)
		must(err)
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 300 || (method == "GET" && n != size) {
			must(fmt.Errorf("%s %s: %d (%d bytes)", method, u, resp.StatusCode, n))
		}
	}
	req("PUT", *storage+"/large", http.NoBody)
	res := map[string][]float64{}
	timeit := func(name string, f func()) {
		t0 := time.Now()
		f()
		res[name] = append(res[name], float64(size)/1e6/time.Since(t0).Seconds())
	}
	fmt.Printf("%-5s %12s %12s %12s %12s\n", "round", "gw_put_MBps", "st_put_MBps", "gw_get_MBps", "st_get_MBps")
	for r := 1; r <= *rounds; r++ {
		key := fmt.Sprintf("o%d", r)
		timeit("gw_put", func() {
			_, err := cl.PutObject(ctx, *bucket, key, bytes.NewReader(data), size,
				minio.PutObjectOptions{PartSize: uint64(*partMB) << 20, NumThreads: uint(*threads), DisableContentSha256: *unsigned})
			must(err)
		})
		timeit("st_put", func() { req("PUT", *storage+"/large/"+key, bytes.NewReader(data)) })
		timeit("gw_get", func() {
			o, err := cl.GetObject(ctx, *bucket, key, minio.GetObjectOptions{})
			must(err)
			n, err := io.Copy(io.Discard, o)
			must(err)
			o.Close()
			if n != size {
				must(fmt.Errorf("gateway GET: %d bytes", n))
			}
		})
		timeit("st_get", func() { req("GET", *storage+"/large/"+key, nil) })
		fmt.Printf("%-5d %12.0f %12.0f %12.0f %12.0f\n", r, res["gw_put"][r-1], res["st_put"][r-1], res["gw_get"][r-1], res["st_get"][r-1])
	}
	med := map[string]float64{}
	for k, v := range res {
		s := append([]float64(nil), v...)
		sort.Float64s(s)
		med[k] = s[len(s)/2]
	}
	fmt.Printf("median MB/s: gateway PUT %.0f, stratus PUT %.0f (%.2fx); gateway GET %.0f, stratus GET %.0f (%.2fx)\n",
		med["gw_put"], med["st_put"], med["st_put"]/med["gw_put"], med["gw_get"], med["st_get"], med["st_get"]/med["gw_get"])
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "s3rate:", err)
		os.Exit(1)
	}
}
