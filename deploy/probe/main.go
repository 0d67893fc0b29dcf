// Command probe is the container health check: the image is distroless (no
// shell, no curl), so compose runs this static binary to GET a URL. It exits
// 0 on a 2xx answer and 1 otherwise, printing the status.
//
//	probe http://127.0.0.1:8080/readyz
package main

import (
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: probe URL")
		os.Exit(2)
	}
	os.Exit(probe(os.Args[1], 3*time.Second))
}

func probe(url string, timeout time.Duration) int {
	c := &http.Client{Timeout: timeout}
	resp, err := c.Get(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		return 1
	}
	defer resp.Body.Close()
	fmt.Println(resp.Status)
	if resp.StatusCode/100 != 2 {
		return 1
	}
	return 0
}
