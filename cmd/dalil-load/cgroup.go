package main

// CPU quotas for replica processes, as Kubernetes gives each pod a CPU
// limit: on one box, replicas that share all the cores cannot add up, but
// replicas each held to a fraction of a core can, while the shared parts
// (Redis, PostgreSQL, the fake Bot API, the users) keep the rest.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// cgroupFS is where the cgroup hierarchies are mounted.
var cgroupFS = "/sys/fs/cgroup"

// cfsPeriod is the CFS period of a quota, in microseconds (the kernel's
// and Kubernetes' default).
const cfsPeriod = 100_000

// cpuGroup is one cgroup holding a CPU quota.
type cpuGroup struct {
	dir string
	v2  bool
}

// newCPUGroup creates the cgroup name limited to cores CPUs, under cgroup
// v2 (unified) when mounted alone, else under v1's cpu controller.
func newCPUGroup(name string, cores float64) (*cpuGroup, error) {
	if cores <= 0 {
		return nil, fmt.Errorf("cgroup %s: quota %.2f cores is not positive", name, cores)
	}
	quota := int64(cores * cfsPeriod)
	if _, err := os.Stat(filepath.Join(cgroupFS, "cgroup.controllers")); err == nil {
		// v2: the cpu controller must be on in the parent for the child to
		// get cpu.max.
		ctl, err := os.ReadFile(filepath.Join(cgroupFS, "cgroup.controllers"))
		if err != nil || !slices.Contains(strings.Fields(string(ctl)), "cpu") {
			return nil, fmt.Errorf("cgroup v2 at %s has no cpu controller", cgroupFS)
		}
		if err := os.WriteFile(filepath.Join(cgroupFS, "cgroup.subtree_control"), []byte("+cpu"), 0); err != nil {
			return nil, fmt.Errorf("enabling the cpu controller in %s: %w", cgroupFS, err)
		}
		g := &cpuGroup{dir: filepath.Join(cgroupFS, name), v2: true}
		if err := os.Mkdir(g.dir, 0o755); err != nil {
			return nil, fmt.Errorf("creating cgroup: %w", err)
		}
		if err := os.WriteFile(filepath.Join(g.dir, "cpu.max"), []byte(fmt.Sprintf("%d %d", quota, cfsPeriod)), 0); err != nil {
			g.remove()
			return nil, fmt.Errorf("setting cpu.max: %w", err)
		}
		return g, nil
	}
	root := filepath.Join(cgroupFS, "cpu")
	if _, err := os.Stat(filepath.Join(root, "cpu.cfs_quota_us")); err != nil {
		return nil, fmt.Errorf("no cgroup cpu controller at %s (neither v2 nor v1): %w", cgroupFS, err)
	}
	g := &cpuGroup{dir: filepath.Join(root, name)}
	if err := os.Mkdir(g.dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating cgroup: %w", err)
	}
	for _, f := range []struct {
		file string
		v    int64
	}{{"cpu.cfs_period_us", cfsPeriod}, {"cpu.cfs_quota_us", quota}} {
		if err := os.WriteFile(filepath.Join(g.dir, f.file), []byte(strconv.FormatInt(f.v, 10)), 0); err != nil {
			g.remove()
			return nil, fmt.Errorf("setting %s: %w", f.file, err)
		}
	}
	return g, nil
}

// procsFile is where writing a pid moves that process (all its threads)
// into the group.
func (g *cpuGroup) procsFile() string { return filepath.Join(g.dir, "cgroup.procs") }

// add moves a running process into the group.
func (g *cpuGroup) add(pid int) error {
	if err := os.WriteFile(g.procsFile(), []byte(strconv.Itoa(pid)), 0); err != nil {
		return fmt.Errorf("moving pid %d into %s: %w", pid, g.dir, err)
	}
	return nil
}

// pids lists the processes in the group.
func (g *cpuGroup) pids() ([]int, error) {
	b, err := os.ReadFile(g.procsFile())
	if err != nil {
		return nil, err
	}
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out, nil
}

// throttling reads how many CFS periods ran and in how many of them the
// group was held back by its quota.
func (g *cpuGroup) throttling() (periods, throttled int64, err error) {
	b, err := os.ReadFile(filepath.Join(g.dir, "cpu.stat"))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		switch k {
		case "nr_periods":
			periods = n
		case "nr_throttled":
			throttled = n
		}
	}
	return periods, throttled, nil
}

// remove deletes the group; its processes must be gone (the kernel
// refuses to remove a group with members).
func (g *cpuGroup) remove() error {
	var err error
	for range 50 { // a process just killed leaves the group a moment later
		if err = os.Remove(g.dir); err == nil || errors.Is(err, os.ErrNotExist) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("removing cgroup %s: %w", g.dir, err)
}

// removeStaleGroups removes the groups left by runs of this tool that died
// before cleaning up (killed, Ctrl-C): their names carry the tool's pid.
// A group still holding a process is left alone (the kernel refuses).
func removeStaleGroups() {
	for _, pattern := range []string{filepath.Join(cgroupFS, "dalil-load-*"), filepath.Join(cgroupFS, "cpu", "dalil-load-*")} {
		dirs, _ := filepath.Glob(pattern)
		for _, d := range dirs {
			f := strings.SplitN(filepath.Base(d), "-", 4) // dalil, load, pid, replica
			if len(f) < 4 {
				continue
			}
			if _, err := os.Stat("/proc/" + f[2]); errors.Is(err, os.ErrNotExist) {
				os.Remove(d)
			}
		}
	}
}
