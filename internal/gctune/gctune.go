// Package gctune sets the Go garbage collector for a long-running server:
// a higher GOGC, bounded by a memory limit taken from the container.
//
// With Go's default (GOGC=100) the bot's small live heap is collected
// several times a second under load; the collector then takes about a tenth
// of the CPU (CPU profiles of cmd/dalil-load). GOGC=400 collects four times
// less often. A heap five times the live one must still fit the container,
// so the memory limit (GOMEMLIMIT) is set to 80 % of the cgroup's memory
// limit when there is one: near it, the collector works harder instead of
// the process being killed.
package gctune

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// Percent is the GOGC used when the environment sets none.
const Percent = 400

// limitShare is the part of the container's memory the Go heap may use
// before collecting harder; the rest is stacks, buffers and the runtime.
const limitShare = 0.8

// Applied says what Apply set (zero fields: left as they were).
type Applied struct {
	Percent     int   // GOGC set, 0 when GOGC came from the environment
	MemoryLimit int64 // bytes, 0 when left alone
}

// Apply sets GOGC and GOMEMLIMIT unless the environment sets them. cgroupDir
// is where the cgroup file system is mounted ("/sys/fs/cgroup").
func Apply(getenv func(string) string, cgroupDir string) Applied {
	var a Applied
	if getenv("GOGC") != "" {
		return a
	}
	debug.SetGCPercent(Percent)
	a.Percent = Percent
	if getenv("GOMEMLIMIT") == "" {
		if limit := containerMemory(cgroupDir); limit > 0 {
			a.MemoryLimit = int64(float64(limit) * limitShare)
			debug.SetMemoryLimit(a.MemoryLimit)
		}
	}
	return a
}

// containerMemory reads the memory limit of this process's cgroup (v2
// memory.max, else v1 memory.limit_in_bytes); 0 when there is none.
func containerMemory(dir string) int64 {
	for _, f := range []string{dir + "/memory.max", dir + "/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		s := strings.TrimSpace(string(b))
		if s == "max" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		// cgroup v1 writes a number near 2^63 for "no limit".
		if err != nil || n <= 0 || n >= 1<<60 {
			return 0
		}
		return n
	}
	return 0
}
