package gctune

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
)

func TestContainerMemory(t *testing.T) {
	for _, c := range []struct {
		name, file, body string
		want             int64
	}{
		{"v2 limit", "memory.max", "536870912\n", 536870912},
		{"v2 no limit", "memory.max", "max\n", 0},
		{"v1 limit", "memory/memory.limit_in_bytes", "268435456\n", 268435456},
		{"v1 no limit", "memory/memory.limit_in_bytes", "9223372036854771712\n", 0},
		{"garbage", "memory.max", "lots\n", 0},
		{"none", "", "", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if c.file != "" {
				p := filepath.Join(dir, c.file)
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, []byte(c.body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got := containerMemory(dir); got != c.want {
				t.Fatalf("got %d, want %d", got, c.want)
			}
		})
	}
}

func TestApply(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "memory.max"), []byte("1000000000\n"), 0o644)
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }

	a := Apply(getenv, dir)
	if a.Percent != Percent || a.MemoryLimit != 800000000 {
		t.Fatalf("applied %+v", a)
	}
	if got := debug.SetGCPercent(100); got != Percent {
		t.Fatalf("GOGC is %d", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 800000000 {
		t.Fatalf("memory limit is %d", got)
	}

	env["GOMEMLIMIT"] = "300MiB"
	if a := Apply(getenv, dir); a.MemoryLimit != 0 || a.Percent != Percent {
		t.Fatalf("with GOMEMLIMIT set: %+v", a)
	}
	env["GOGC"] = "50"
	debug.SetGCPercent(50)
	if a := Apply(getenv, dir); a != (Applied{}) {
		t.Fatalf("with GOGC set: %+v", a)
	}
	if got := debug.SetGCPercent(100); got != 50 {
		t.Fatalf("GOGC changed to %d although the environment set it", got)
	}
}
