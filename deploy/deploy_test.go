// Package deploy holds no Go code of its own: its tests check the deployment
// files beside them (Dockerfile, compose.yaml, .env.example, k8s/, the
// Grafana dashboard, prometheus.yml) against the code they deploy, so that
// a new setting, a renamed metric or a changed port fails here rather than
// in production. Docker does not run in CI: what can be checked without it
// is checked here, and deploy/README.md's path is walked with the real
// binary in walkthrough_test.go.
package deploy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// root is the repository root (tests run in deploy/).
const root = ".."

func readFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatalf("reading %s: %v", rel, err)
	}
	return b
}

// ---------------------------------------------------------------------
// What the binary reads: settings and metrics, taken from its Go source.

// binarySource lists the non-test Go files of the module's packages that
// go into cmd/dalil (go list -deps), so that a setting or a metric added in
// any of them is seen.
var binarySource = sync.OnceValues(func() ([]string, error) {
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("go", "list", "-deps", "-f", `{{if not .Standard}}{{.Dir}}|{{join .GoFiles ","}}{{end}}`, "./cmd/dalil")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%v: %s", err, ee.Stderr)
		}
		return nil, fmt.Errorf("go list -deps ./cmd/dalil: %w", err)
	}
	var files []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		dir, names, ok := strings.Cut(line, "|")
		if !ok || !strings.HasPrefix(dir, absRoot+string(filepath.Separator)) || names == "" {
			continue // not this module's
		}
		for _, n := range strings.Split(names, ",") {
			files = append(files, filepath.Join(dir, n))
		}
	}
	if len(files) == 0 {
		return nil, errors.New("go list found no source file of cmd/dalil")
	}
	return files, nil
})

func parseSource(t *testing.T) (*token.FileSet, []*ast.File) {
	t.Helper()
	files, err := binarySource()
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var out []*ast.File
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatalf("parsing %s: %v", f, err)
		}
		out = append(out, af)
	}
	return fset, out
}

// osVars are read by the binary but set by the system, not by operators.
var osVars = map[string]bool{"USER": true, "LOGNAME": true, "HOME": true}

func isEnvCall(call *ast.CallExpr) bool {
	var name string
	switch f := call.Fun.(type) {
	case *ast.Ident:
		name = f.Name
	case *ast.SelectorExpr:
		name = f.Sel.Name
	}
	return name == "getenv" || name == "Getenv" || name == "LookupEnv"
}

func stringLit(e ast.Expr) (string, bool) {
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(bl.Value)
	return s, err == nil
}

// settingsTable returns the names of the binary's settings table (the
// Name fields of `var settings = [...]setting{...}` in cmd/dalil), which
// its config reads, with where each is declared.
func settingsTable(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join(root, "cmd", "dalil", "settings.go"), nil, 0)
	if err != nil {
		t.Fatalf("parsing the settings table: %v", err)
	}
	found := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "settings" || len(vs.Values) != 1 {
			return true
		}
		cl, ok := vs.Values[0].(*ast.CompositeLit)
		if !ok {
			return true
		}
		for _, e := range cl.Elts {
			row, ok := e.(*ast.CompositeLit)
			if !ok {
				continue
			}
			for _, fe := range row.Elts {
				kv, ok := fe.(*ast.KeyValueExpr)
				if k, _ := kv.Key.(*ast.Ident); ok && k != nil && k.Name == "Name" {
					if name, ok := stringLit(kv.Value); ok {
						found[name] = "settings.go:" + strconv.Itoa(fset.Position(kv.Pos()).Line)
					}
				}
			}
		}
		return false
	})
	if len(found) == 0 {
		t.Fatal("no settings table (var settings = [...]setting{{Name: …}}) in cmd/dalil/settings.go")
	}
	return found
}

// binarySettings returns every environment variable the binary reads: the
// settings table, and what its source reads outside it (see
// scannedSettings; TestEverySettingInTheTable wants none).
func binarySettings(t *testing.T) map[string]string {
	t.Helper()
	found := settingsTable(t)
	for name, where := range scannedSettings(t) {
		if _, ok := found[name]; !ok {
			found[name] = where
		}
	}
	return found
}

// Every variable the source reads by name is a row of the settings table,
// so the table is the whole list (the docs and these tests read it).
func TestEverySettingInTheTable(t *testing.T) {
	table := settingsTable(t)
	for name, where := range scannedSettings(t) {
		if _, ok := table[name]; !ok {
			t.Errorf("%s (read at %s) is not in cmd/dalil/settings.go's table", name, where)
		}
	}
}

// scannedSettings returns the environment variables the binary's source
// reads by name: getenv("X") / os.Getenv("X") / os.LookupEnv("X") with a
// literal, the names passed to loadConfig as required, and the literals of
// a `for _, v := range []string{...}` whose body reads getenv(v).
func scannedSettings(t *testing.T) map[string]string {
	t.Helper()
	fset, files := parseSource(t)
	found := map[string]string{} // name -> where
	add := func(name string, pos token.Pos) {
		if name == "" || osVars[name] || strings.ToUpper(name) != name {
			return
		}
		if _, ok := found[name]; !ok {
			p := fset.Position(pos)
			found[name] = filepath.Base(p.Filename) + ":" + strconv.Itoa(p.Line)
		}
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if isEnvCall(n) && len(n.Args) == 1 {
					if s, ok := stringLit(n.Args[0]); ok {
						add(s, n.Pos())
					}
				}
				if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "loadConfig" {
					for _, a := range n.Args[1:] {
						if s, ok := stringLit(a); ok {
							add(s, a.Pos())
						}
					}
				}
			case *ast.RangeStmt:
				cl, ok := n.X.(*ast.CompositeLit)
				v, ok2 := n.Value.(*ast.Ident)
				if !ok || !ok2 {
					return true
				}
				readsV := false
				ast.Inspect(n.Body, func(m ast.Node) bool {
					if call, ok := m.(*ast.CallExpr); ok && isEnvCall(call) && len(call.Args) == 1 {
						if id, ok := call.Args[0].(*ast.Ident); ok && id.Name == v.Name {
							readsV = true
						}
					}
					return true
				})
				if readsV {
					for _, e := range cl.Elts {
						if s, ok := stringLit(e); ok {
							add(s, e.Pos())
						}
					}
				}
			}
			return true
		})
	}
	return found
}

func TestBinarySettingsFound(t *testing.T) {
	// The scan itself must work: these are DESIGN.md's contract settings.
	got := binarySettings(t)
	for _, want := range []string{"TELEGRAM_BOT_TOKEN", "TELEGRAM_API_URL", "DATABASE_URL", "REDIS_URL", "ADVISERS_CHAT_ID",
		"HTTP_ADDR", "WEBHOOK_URL", "WEBHOOK_SECRET", "TELEGRAM_RATE_LIMIT", "LOG_FORMAT"} {
		if _, ok := got[want]; !ok {
			t.Errorf("the source scan did not find %s (found %v)", want, keys(got))
		}
	}
}

// registeredMetrics returns the Prometheus series names the binary's code
// registers (Name/Namespace/Subsystem of prometheus.*Opts literals; a
// histogram's _bucket, _sum and _count), and the prefixes of the standard
// collectors it registers (go_, process_).
func registeredMetrics(t *testing.T) (names map[string]bool, prefixes []string) {
	t.Helper()
	_, files := parseSource(t)
	names = map[string]bool{}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				sel, ok := n.Type.(*ast.SelectorExpr)
				if !ok || !strings.HasSuffix(sel.Sel.Name, "Opts") {
					return true
				}
				if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "prometheus" {
					return true
				}
				var ns, sub, name string
				for _, e := range n.Elts {
					kv, ok := e.(*ast.KeyValueExpr)
					if !ok {
						continue
					}
					k, _ := kv.Key.(*ast.Ident)
					v, _ := stringLit(kv.Value)
					switch {
					case k == nil:
					case k.Name == "Namespace":
						ns = v
					case k.Name == "Subsystem":
						sub = v
					case k.Name == "Name":
						name = v
					}
				}
				if name == "" {
					return true
				}
				full := strings.Join(slices.DeleteFunc([]string{ns, sub, name}, func(s string) bool { return s == "" }), "_")
				switch sel.Sel.Name {
				case "HistogramOpts":
					names[full+"_bucket"], names[full+"_sum"], names[full+"_count"] = true, true, true
				case "SummaryOpts":
					names[full], names[full+"_sum"], names[full+"_count"] = true, true, true
				default:
					names[full] = true
				}
			case *ast.SelectorExpr:
				if x, ok := n.X.(*ast.Ident); ok && x.Name == "collectors" {
					switch n.Sel.Name {
					case "NewGoCollector":
						prefixes = append(prefixes, "go_")
					case "NewProcessCollector":
						prefixes = append(prefixes, "process_")
					}
				}
			}
			return true
		})
	}
	return names, prefixes
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ---------------------------------------------------------------------
// .env.example

// envExample returns the names of .env.example: NAME=value lines, commented
// out or not, and the values of the uncommented ones.
func envExample(t *testing.T) (documented map[string]bool, values map[string]string) {
	t.Helper()
	documented, values = map[string]bool{}, map[string]string{}
	assign := regexp.MustCompile(`^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$`)
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, "deploy/.env.example")))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		m := assign.FindStringSubmatch(line)
		if m == nil {
			if !strings.HasPrefix(line, "#") {
				t.Errorf(".env.example:%d: %q is neither a comment nor NAME=value", n, line)
			}
			continue
		}
		if m[1] == "" {
			if _, dup := values[m[2]]; dup {
				t.Errorf(".env.example:%d: %s is set twice", n, m[2])
			}
			values[m[2]] = m[3]
		}
		documented[m[2]] = true
	}
	return documented, values
}

func TestEnvExampleDocumentsEverySetting(t *testing.T) {
	documented, values := envExample(t)
	for name, where := range binarySettings(t) {
		if !documented[name] {
			t.Errorf("%s (read at %s) is not documented in deploy/.env.example", name, where)
		}
	}
	// Every name is either a setting of the binary or a variable compose.yaml uses.
	compose := string(readFile(t, "deploy/compose.yaml"))
	settings := binarySettings(t)
	for name := range documented {
		if _, ok := settings[name]; !ok && !strings.Contains(compose, "${"+name) {
			t.Errorf(".env.example documents %s, which neither the binary nor compose.yaml reads", name)
		}
	}
	// Secrets are placeholders, never something that could be real.
	for _, name := range []string{"TELEGRAM_BOT_TOKEN", "POSTGRES_PASSWORD", "PSEUDONYM_KEY"} {
		if !strings.Contains(values[name], "REPLACE") {
			t.Errorf(".env.example: %s=%q should be an obvious placeholder", name, values[name])
		}
	}
	if !strings.Contains(values["DATABASE_URL"], values["POSTGRES_PASSWORD"]) {
		t.Errorf(".env.example: DATABASE_URL should use the POSTGRES_PASSWORD placeholder")
	}
}

// ---------------------------------------------------------------------
// compose.yaml

type composeFile struct {
	Name     string                    `yaml:"name"`
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Build       map[string]string `yaml:"build"`
	Command     []string          `yaml:"command"`
	EnvFile     string            `yaml:"env_file"`
	Environment map[string]string `yaml:"environment"`
	Restart     string            `yaml:"restart"`
	Volumes     []string          `yaml:"volumes"`
	Ports       []string          `yaml:"ports"`
	ReadOnly    bool              `yaml:"read_only"`
	Tmpfs       []string          `yaml:"tmpfs"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	StopGracePeriod string `yaml:"stop_grace_period"`
	Healthcheck     *struct {
		Test        []string `yaml:"test"`
		Disable     bool     `yaml:"disable"`
		Interval    string   `yaml:"interval"`
		Timeout     string   `yaml:"timeout"`
		Retries     int      `yaml:"retries"`
		StartPeriod string   `yaml:"start_period"`
	} `yaml:"healthcheck"`
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	var c composeFile
	dec := yaml.NewDecoder(bytes.NewReader(readFile(t, "deploy/compose.yaml")))
	dec.KnownFields(true) // a misspelt key is an error, not silently ignored
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return c
}

func TestCompose(t *testing.T) {
	c := loadCompose(t)
	for _, name := range []string{"dalil", "migrate", "postgres", "redis"} {
		if _, ok := c.Services[name]; !ok {
			t.Fatalf("compose.yaml has no %s service (has %v)", name, keys(c.Services))
		}
	}
	for name, s := range c.Services {
		oneShot := s.Restart == "no"
		switch {
		case s.Restart == "":
			t.Errorf("service %s has no restart policy", name)
		case oneShot:
			// A one-shot's health is its exit status: someone must wait for it.
			waited := false
			for _, other := range c.Services {
				if d, ok := other.DependsOn[name]; ok && d.Condition == "service_completed_successfully" {
					waited = true
				}
			}
			if !waited {
				t.Errorf("one-shot service %s: no service waits for service_completed_successfully", name)
			}
		case s.Healthcheck == nil || s.Healthcheck.Disable || len(s.Healthcheck.Test) < 2:
			t.Errorf("service %s has no health check", name)
		}
		// No secret written inline: only references to deploy/.env.
		for k, v := range s.Environment {
			if regexp.MustCompile(`TOKEN|SECRET|PASSWORD`).MatchString(k) && !strings.HasPrefix(v, "${") {
				t.Errorf("service %s: %s is written inline; take it from .env", name, k)
			}
			if u, err := url.Parse(v); err == nil && u.User != nil {
				if p, ok := u.User.Password(); ok && !strings.HasPrefix(p, "${") {
					t.Errorf("service %s: %s carries a password inline", name, k)
				}
			}
		}
		// Named volumes are declared.
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if !strings.HasPrefix(src, ".") && !strings.HasPrefix(src, "/") {
				if _, ok := c.Volumes[src]; !ok {
					t.Errorf("service %s mounts volume %s, not declared under volumes:", name, src)
				}
			}
		}
	}

	pg, rd, app, mig := c.Services["postgres"], c.Services["redis"], c.Services["dalil"], c.Services["migrate"]
	if pg.Image != "postgres:15" || rd.Image != "redis:7" {
		t.Errorf("images: postgres %q, redis %q; want postgres:15 and redis:7", pg.Image, rd.Image)
	}
	if !strings.Contains(strings.Join(pg.Healthcheck.Test, " "), "pg_isready") {
		t.Errorf("postgres health check %v does not use pg_isready", pg.Healthcheck.Test)
	}
	if got := rd.Healthcheck.Test; !slices.Equal(got, []string{"CMD", "redis-cli", "ping"}) {
		t.Errorf("redis health check %v, want redis-cli ping", got)
	}
	if i := slices.Index(rd.Command, "--appendonly"); i < 0 || i+1 >= len(rd.Command) || rd.Command[i+1] != "yes" {
		t.Errorf("redis command %v lacks --appendonly yes", rd.Command)
	}
	mountsData := func(s composeService, dir string) bool {
		for _, v := range s.Volumes {
			src, dst, _ := strings.Cut(v, ":")
			if _, named := c.Volumes[src]; named && strings.TrimSuffix(dst, ":rw") == dir {
				return true
			}
		}
		return false
	}
	if !mountsData(pg, "/var/lib/postgresql/data") {
		t.Errorf("postgres keeps its data in no named volume: %v", pg.Volumes)
	}
	if !mountsData(rd, "/data") {
		t.Errorf("redis keeps its append-only file in no named volume: %v", rd.Volumes)
	}
	for dep, cond := range map[string]string{"postgres": "service_healthy", "redis": "service_healthy", "migrate": "service_completed_successfully"} {
		if got := app.DependsOn[dep].Condition; got != cond {
			t.Errorf("dalil depends on %s with condition %q, want %q", dep, got, cond)
		}
	}
	if mig.DependsOn["postgres"].Condition != "service_healthy" || !slices.Equal(mig.Command, []string{"migrate"}) {
		t.Errorf("migrate: command %v, depends_on %v", mig.Command, mig.DependsOn)
	}
	if !slices.Equal(app.Command, []string{"serve"}) || app.EnvFile != ".env" || mig.EnvFile != ".env" {
		t.Errorf("dalil: command %v env_file %q; migrate env_file %q", app.Command, app.EnvFile, mig.EnvFile)
	}
	// The health check probes the port the server listens on, with the
	// probe binary the image carries.
	_, port, err := net.SplitHostPort(app.Environment["HTTP_ADDR"])
	if err != nil {
		t.Fatalf("dalil HTTP_ADDR %q: %v", app.Environment["HTTP_ADDR"], err)
	}
	hc := app.Healthcheck.Test
	if len(hc) != 3 || hc[0] != "CMD" || hc[2] != "http://127.0.0.1:"+port+"/readyz" {
		t.Errorf("dalil health check %v; want [CMD PROBE http://127.0.0.1:%s/readyz]", hc, port)
	}
	if df := string(readFile(t, "deploy/Dockerfile")); !strings.Contains(df, " "+hc[1]+"\n") {
		t.Errorf("dalil health check runs %s, which the Dockerfile does not copy into the image", hc[1])
	}
	if len(app.Ports) != 1 || !strings.HasSuffix(app.Ports[0], ":"+port) || !strings.HasPrefix(app.Ports[0], "127.0.0.1:") {
		t.Errorf("dalil ports %v: want 127.0.0.1:HOST:%s (the TLS proxy sits in front)", app.Ports, port)
	}
	// Services talk to each other by service name.
	if u, err := url.Parse(app.Environment["REDIS_URL"]); err != nil || u.Hostname() != "redis" {
		t.Errorf("dalil REDIS_URL %q does not point at the redis service", app.Environment["REDIS_URL"])
	}
	if !strings.Contains(app.Environment["DATABASE_URL"], "@postgres:5432/") || app.Environment["DATABASE_URL"] != mig.Environment["DATABASE_URL"] {
		t.Errorf("DATABASE_URL: dalil %q, migrate %q; want both on the postgres service", app.Environment["DATABASE_URL"], mig.Environment["DATABASE_URL"])
	}
	if !app.ReadOnly || !slices.ContainsFunc(app.Tmpfs, func(m string) bool { return strings.HasPrefix(m, "/tmp") }) {
		t.Errorf("dalil: want a read-only root file system with a tmpfs on /tmp (read_only %v, tmpfs %v)", app.ReadOnly, app.Tmpfs)
	}
	if app.Build["dockerfile"] != "deploy/Dockerfile" || app.Build["context"] != ".." {
		t.Errorf("dalil build %v: want context .. and dockerfile deploy/Dockerfile", app.Build)
	}
}

// ---------------------------------------------------------------------
// Dockerfile and .dockerignore

// dockerBuild is the build command of the Dockerfile, which
// TestStaticBinary runs as it is.
const dockerBuild = `CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags "-s -w" -o /out/dalil ./cmd/dalil`

func TestDockerfile(t *testing.T) {
	type stage struct {
		from  string
		lines []string
	}
	var stages []stage
	// Join continuation lines, drop comments.
	var logical []string
	cur := ""
	for _, l := range strings.Split(string(readFile(t, "deploy/Dockerfile")), "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "#") || l == "" && cur == "" {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			cur += strings.TrimSuffix(l, "\\") + " "
			continue
		}
		logical = append(logical, strings.Join(strings.Fields(cur+l), " "))
		cur = ""
	}
	for _, l := range logical {
		if strings.HasPrefix(l, "FROM ") {
			stages = append(stages, stage{from: l})
			continue
		}
		if len(stages) == 0 {
			if !strings.HasPrefix(l, "ARG ") {
				t.Errorf("Dockerfile: %q before the first FROM", l)
			}
			continue
		}
		stages[len(stages)-1].lines = append(stages[len(stages)-1].lines, l)
	}
	if len(stages) < 2 {
		t.Fatalf("Dockerfile has %d stage(s); want a build stage and a final one", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]
	if !strings.HasPrefix(build.from, "FROM golang:1.26") {
		t.Errorf("build stage %q: want golang:1.26", build.from)
	}
	buildText := strings.Join(build.lines, "\n")
	for _, want := range []string{dockerBuild, "--mount=type=cache,target=/go/pkg/mod", "COPY go.mod go.sum ./"} {
		if !strings.Contains(buildText, want) {
			t.Errorf("build stage lacks %q", want)
		}
	}
	if !regexp.MustCompile(`^FROM (gcr\.io/distroless/static[^ ]*|scratch)( |$)`).MatchString(final.from) {
		t.Errorf("final stage %q: want distroless static or scratch", final.from)
	}
	var user, entry string
	env := map[string]string{}
	for _, l := range final.lines {
		switch {
		case strings.HasPrefix(l, "USER "):
			user = strings.TrimPrefix(l, "USER ")
		case strings.HasPrefix(l, "ENTRYPOINT "):
			entry = l
		case strings.HasPrefix(l, "ENV "):
			for _, kv := range strings.Fields(strings.TrimPrefix(l, "ENV ")) {
				k, v, _ := strings.Cut(kv, "=")
				env[k] = v
			}
		}
		if strings.HasPrefix(l, "RUN ") {
			t.Errorf("final stage runs %q: it has no shell", l)
		}
	}
	// Numeric and not root: Kubernetes' runAsNonRoot can only check a number.
	uid, _, _ := strings.Cut(user, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("final stage USER %q: want a numeric non-root uid", user)
	} else if dep := k8sDeployment(t); fmt.Sprint(dig(dep, "spec", "template", "spec", "securityContext", "runAsUser")) != uid {
		t.Errorf("the Deployment's runAsUser differs from the image's USER %s", uid)
	}
	if !strings.Contains(entry, "/usr/local/bin/dalil") || !strings.Contains(buildText, "/out/dalil") {
		t.Errorf("ENTRYPOINT %q does not run the dalil binary built in the first stage", entry)
	}
	if _, port, err := net.SplitHostPort(env["HTTP_ADDR"]); err != nil || !slices.Contains(final.lines, "EXPOSE "+port) {
		t.Errorf("image HTTP_ADDR %q and EXPOSE do not agree", env["HTTP_ADDR"])
	}
	if h, _, _ := net.SplitHostPort(env["HTTP_ADDR"]); h != "0.0.0.0" && h != "" {
		t.Errorf("image HTTP_ADDR %q listens on %q: unreachable from outside the container", env["HTTP_ADDR"], h)
	}
	// .dockerignore must not hide what the build needs.
	var patterns []string
	for _, l := range strings.Split(string(readFile(t, ".dockerignore")), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			patterns = append(patterns, strings.TrimPrefix(l, "/"))
		}
	}
	needed := []string{"go.mod", "go.sum", "cmd/dalil/main.go", "deploy/probe/main.go", "dialog/trees/default.yaml",
		"dialog/trees/lexicon.yaml", "catalogue/demo.csv", "locales"}
	for _, p := range needed {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("%s: %v (update this list)", p, err)
		}
		for _, pat := range patterns {
			if ignored(pat, p) {
				t.Errorf(".dockerignore pattern %q hides %s, which the build needs", pat, p)
			}
		}
	}
	if !ignored(".git", ".git/config") || !ignored(".env", ".env") {
		t.Errorf(".dockerignore should keep .git and .env out of the build context")
	}
}

// ignored reports whether a .dockerignore pattern excludes path (the
// pattern matches the path or one of its parent directories; a leading
// **/ matches at any depth).
func ignored(pattern, path string) bool {
	parts := strings.Split(path, "/")
	for i := 1; i <= len(parts); i++ {
		prefix := strings.Join(parts[:i], "/")
		if ok, _ := filepath.Match(pattern, prefix); ok {
			return true
		}
		if rest, ok := strings.CutPrefix(pattern, "**/"); ok {
			for j := 0; j < i; j++ {
				if ok, _ := filepath.Match(rest, strings.Join(parts[j:i], "/")); ok {
					return true
				}
			}
		}
	}
	return false
}

func TestIgnored(t *testing.T) {
	for _, c := range []struct {
		pat, path string
		want      bool
	}{
		{".git", ".git/config", true}, {"**/*.test", "a/b/x.test", true}, {"deploy/k8s", "deploy/k8s/x.yaml", true},
		{"deploy/*.md", "deploy/README.md", true}, {"deploy/*.md", "deploy/probe/main.go", false}, {".env", "deploy/.env.example", false},
	} {
		if got := ignored(c.pat, c.path); got != c.want {
			t.Errorf("ignored(%q, %q) = %v", c.pat, c.path, got)
		}
	}
}

// ---------------------------------------------------------------------
// Kubernetes manifests

// dig walks maps (string keys) and lists (int indices) of decoded YAML.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

type manifest struct {
	file string
	doc  map[string]any
}

// k8sManifests decodes every document of every YAML file of deploy/k8s
// (kustomization.yaml apart).
func k8sManifests(t *testing.T) []manifest {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(root, "deploy/k8s/*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no manifest in deploy/k8s: %v", err)
	}
	var out []manifest
	for _, p := range paths {
		if filepath.Base(p) == "kustomization.yaml" {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var doc map[string]any
			err := dec.Decode(&doc)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", filepath.Base(p), err)
			}
			if doc == nil {
				continue
			}
			if str(doc["apiVersion"]) == "" || str(doc["kind"]) == "" || str(dig(doc, "metadata", "name")) == "" {
				t.Errorf("%s: a document without apiVersion, kind or metadata.name", filepath.Base(p))
			}
			out = append(out, manifest{filepath.Base(p), doc})
		}
	}
	return out
}

func k8sFind(t *testing.T, ms []manifest, kind string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, m := range ms {
		if str(m.doc["kind"]) == kind {
			out = append(out, m.doc)
		}
	}
	return out
}

func k8sOne(t *testing.T, ms []manifest, kind string) map[string]any {
	t.Helper()
	found := k8sFind(t, ms, kind)
	if len(found) != 1 {
		t.Fatalf("want exactly one %s in deploy/k8s, found %d", kind, len(found))
	}
	return found[0]
}

func k8sDeployment(t *testing.T) map[string]any { return k8sOne(t, k8sManifests(t), "Deployment") }

// selects reports whether every label of selector is among labels.
func selects(selector, labels any) bool {
	s, ok := selector.(map[string]any)
	l, ok2 := labels.(map[string]any)
	if !ok || !ok2 || len(s) == 0 {
		return false
	}
	for k, v := range s {
		if str(l[k]) != str(v) {
			return false
		}
	}
	return true
}

// containerPort resolves a probe's or a Service's port (a name or a number)
// to the container's port number.
func containerPort(c any, port any) int {
	for _, p := range asList(dig(c, "ports")) {
		if str(dig(p, "name")) == str(port) || str(dig(p, "containerPort")) == str(port) {
			n, _ := strconv.Atoi(str(dig(p, "containerPort")))
			return n
		}
	}
	return 0
}

func asList(v any) []any { l, _ := v.([]any); return l }

// checkPod checks what every pod of Dalil needs: non-root, read-only root
// file system, no privilege escalation, resources, and that every Secret and
// ConfigMap it takes settings from exists with the keys it names.
func checkPod(t *testing.T, what string, pod any, secrets, configs map[string]map[string]any) []any {
	t.Helper()
	if dig(pod, "securityContext", "runAsNonRoot") != true {
		t.Errorf("%s: securityContext.runAsNonRoot is not true", what)
	}
	if n, _ := strconv.Atoi(str(dig(pod, "securityContext", "runAsUser"))); n == 0 {
		t.Errorf("%s: runAsUser is root or unset", what)
	}
	containers := asList(dig(pod, "containers"))
	if len(containers) == 0 {
		t.Fatalf("%s: no container", what)
	}
	for _, c := range containers {
		name := what + "/" + str(dig(c, "name"))
		if dig(c, "securityContext", "readOnlyRootFilesystem") != true || dig(c, "securityContext", "allowPrivilegeEscalation") != false {
			t.Errorf("%s: want readOnlyRootFilesystem true and allowPrivilegeEscalation false", name)
		}
		for _, kind := range []string{"requests", "limits"} {
			for _, res := range []string{"cpu", "memory"} {
				if str(dig(c, "resources", kind, res)) == "" {
					t.Errorf("%s: resources.%s.%s not set", name, kind, res)
				}
			}
		}
		for _, e := range asList(dig(c, "env")) {
			if ref := dig(e, "valueFrom", "secretKeyRef"); ref != nil {
				sec, ok := secrets[str(dig(ref, "name"))]
				if !ok {
					t.Errorf("%s: env %s takes Secret %s, which deploy/k8s does not define", name, str(dig(e, "name")), str(dig(ref, "name")))
				} else if _, ok := sec[str(dig(ref, "key"))]; !ok {
					t.Errorf("%s: env %s takes key %s, absent from Secret %s", name, str(dig(e, "name")), str(dig(ref, "key")), str(dig(ref, "name")))
				}
			}
		}
		for _, e := range asList(dig(c, "envFrom")) {
			if n := str(dig(e, "configMapRef", "name")); n != "" && configs[n] == nil {
				t.Errorf("%s: envFrom ConfigMap %s is not defined", name, n)
			}
			if n := str(dig(e, "secretRef", "name")); n != "" && secrets[n] == nil {
				t.Errorf("%s: envFrom Secret %s is not defined", name, n)
			}
		}
	}
	return containers
}

// envOf returns the settings a container gets: its env, and every key of
// the ConfigMaps and Secrets it takes whole.
func envOf(c any, secrets, configs map[string]map[string]any) map[string]string {
	out := map[string]string{}
	for _, e := range asList(dig(c, "envFrom")) {
		for k, v := range configs[str(dig(e, "configMapRef", "name"))] {
			out[k] = str(v)
		}
		for k, v := range secrets[str(dig(e, "secretRef", "name"))] {
			out[k] = str(v)
		}
	}
	for _, e := range asList(dig(c, "env")) {
		v := str(dig(e, "value"))
		if ref := dig(e, "valueFrom", "secretKeyRef"); ref != nil {
			v = str(secrets[str(dig(ref, "name"))][str(dig(ref, "key"))])
		}
		out[str(dig(e, "name"))] = v
	}
	return out
}

func TestKubernetes(t *testing.T) {
	ms := k8sManifests(t)
	settings := binarySettings(t)

	// Every manifest is in kustomization.yaml (or mentioned there, commented
	// out as optional), and every resource it lists exists.
	kust := string(readFile(t, "deploy/k8s/kustomization.yaml"))
	var k struct {
		Resources []string `yaml:"resources"`
		Namespace string   `yaml:"namespace"`
		Images    []struct {
			Name string `yaml:"name"`
		} `yaml:"images"`
	}
	if err := yaml.Unmarshal([]byte(kust), &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	seen := map[string]bool{}
	for _, m := range ms {
		if !seen[m.file] && !strings.Contains(kust, m.file) {
			t.Errorf("%s is not mentioned in kustomization.yaml", m.file)
		}
		seen[m.file] = true
	}
	for _, r := range k.Resources {
		if !seen[r] {
			t.Errorf("kustomization.yaml lists %s, which has no manifest", r)
		}
	}

	secrets, configs := map[string]map[string]any{}, map[string]map[string]any{}
	for _, s := range k8sFind(t, ms, "Secret") {
		data, _ := s["stringData"].(map[string]any)
		secrets[str(dig(s, "metadata", "name"))] = data
		for key, v := range data {
			if !strings.Contains(str(v), "PLACEHOLDER") {
				t.Errorf("Secret example %s: %s is not an obvious placeholder", str(dig(s, "metadata", "name")), key)
			}
		}
	}
	for _, c := range k8sFind(t, ms, "ConfigMap") {
		data, _ := c["data"].(map[string]any)
		configs[str(dig(c, "metadata", "name"))] = data
	}
	// No misspelt setting: every key given to Dalil is one it reads.
	for _, group := range []map[string]map[string]any{secrets, configs} {
		for name, data := range group {
			for key := range data {
				if _, ok := settings[key]; !ok {
					t.Errorf("%s sets %s, which the binary does not read", name, key)
				}
			}
		}
	}

	dep := k8sOne(t, ms, "Deployment")
	if n, _ := strconv.Atoi(str(dig(dep, "spec", "replicas"))); n < 2 {
		t.Errorf("Deployment replicas = %d, want at least 2", n)
	}
	labels := dig(dep, "spec", "template", "metadata", "labels")
	if !selects(dig(dep, "spec", "selector", "matchLabels"), labels) {
		t.Errorf("Deployment selector does not match its pod labels")
	}
	pod := dig(dep, "spec", "template", "spec")
	containers := checkPod(t, "Deployment", pod, secrets, configs)
	c := containers[0]
	if !slices.Equal(asList(dig(c, "args")), []any{"serve"}) {
		t.Errorf("Deployment container args %v, want [serve]", dig(c, "args"))
	}
	env := envOf(c, secrets, configs)
	// The secret settings come from the Secret, by reference.
	for _, name := range []string{"TELEGRAM_BOT_TOKEN", "WEBHOOK_SECRET", "PSEUDONYM_KEY", "DATABASE_URL", "REDIS_URL"} {
		found := false
		for _, e := range asList(dig(c, "env")) {
			if str(dig(e, "name")) == name && dig(e, "valueFrom", "secretKeyRef") != nil {
				found = true
			}
		}
		if !found {
			t.Errorf("Deployment: %s does not come from a Secret", name)
		}
	}
	// Several replicas need webhook mode (two getUpdates loops conflict).
	hook, err := url.Parse(env["WEBHOOK_URL"])
	if err != nil || hook.Scheme != "https" || hook.Host == "" {
		t.Fatalf("Deployment: WEBHOOK_URL %q is not an https URL; several replicas need webhook mode", env["WEBHOOK_URL"])
	}
	_, port, err := net.SplitHostPort(env["HTTP_ADDR"])
	if err != nil {
		t.Fatalf("Deployment: HTTP_ADDR %q: %v", env["HTTP_ADDR"], err)
	}
	if h, _, _ := net.SplitHostPort(env["HTTP_ADDR"]); h != "0.0.0.0" && h != "" {
		t.Errorf("Deployment: HTTP_ADDR %q is not reachable by the kubelet's probes", env["HTTP_ADDR"])
	}
	for probe, path := range map[string]string{"readinessProbe": "/readyz", "livenessProbe": "/healthz"} {
		got := str(dig(c, probe, "httpGet", "path"))
		p := containerPort(c, dig(c, probe, "httpGet", "port"))
		if got != path || strconv.Itoa(p) != port {
			t.Errorf("Deployment %s: GET %s on port %d; want %s on HTTP_ADDR's port %s", probe, got, p, path, port)
		}
	}
	// The limit is the bot's: the replicas share it (bot/limit.go).
	if rate, _ := strconv.Atoi(env["TELEGRAM_RATE_LIMIT"]); rate <= 0 || rate > 30 {
		t.Errorf("TELEGRAM_RATE_LIMIT=%q exceeds Telegram's 30 messages/s per bot", env["TELEGRAM_RATE_LIMIT"])
	}
	// Read-only root, but a writable /tmp (uploads that spill to disk).
	tmpVol := ""
	for _, m := range asList(dig(c, "volumeMounts")) {
		if str(dig(m, "mountPath")) == "/tmp" {
			tmpVol = str(dig(m, "name"))
		}
	}
	if tmpVol == "" || !slices.ContainsFunc(asList(dig(pod, "volumes")), func(v any) bool {
		return str(dig(v, "name")) == tmpVol && dig(v, "emptyDir") != nil
	}) {
		t.Errorf("Deployment: no emptyDir mounted on /tmp under the read-only root file system")
	}
	if g, _ := strconv.Atoi(str(dig(pod, "terminationGracePeriodSeconds"))); g <= 10 {
		t.Errorf("terminationGracePeriodSeconds %d: want more than the bot's 10 s grace period", g)
	}
	if img := str(dig(c, "image")); !slices.ContainsFunc(k.Images, func(i struct {
		Name string `yaml:"name"`
	}) bool {
		return i.Name == img
	}) {
		t.Errorf("container image %q is not set by kustomization.yaml's images", img)
	}

	pdb := k8sOne(t, ms, "PodDisruptionBudget")
	if !selects(dig(pdb, "spec", "selector", "matchLabels"), labels) {
		t.Errorf("PodDisruptionBudget selector %v does not match the Deployment's pods %v", dig(pdb, "spec", "selector"), labels)
	}
	if min, _ := strconv.Atoi(str(dig(pdb, "spec", "minAvailable"))); min < 1 {
		t.Errorf("PodDisruptionBudget minAvailable %v", dig(pdb, "spec", "minAvailable"))
	}

	svc := k8sOne(t, ms, "Service")
	if !selects(dig(svc, "spec", "selector"), labels) {
		t.Errorf("Service selector %v does not match the Deployment's pods %v", dig(svc, "spec", "selector"), labels)
	}
	svcPorts := asList(dig(svc, "spec", "ports"))
	if len(svcPorts) == 0 || strconv.Itoa(containerPort(c, dig(svcPorts[0], "targetPort"))) != port {
		t.Errorf("Service targetPort does not reach HTTP_ADDR's port %s", port)
	}

	ing := k8sOne(t, ms, "Ingress")
	var tlsHosts []string
	for _, tl := range asList(dig(ing, "spec", "tls")) {
		if str(dig(tl, "secretName")) == "" {
			t.Errorf("Ingress TLS entry without secretName")
		}
		for _, h := range asList(dig(tl, "hosts")) {
			tlsHosts = append(tlsHosts, str(h))
		}
	}
	webhookRouted := false
	for _, r := range asList(dig(ing, "spec", "rules")) {
		host := str(dig(r, "host"))
		if !slices.Contains(tlsHosts, host) {
			t.Errorf("Ingress host %s is not covered by TLS", host)
		}
		for _, p := range asList(dig(r, "http", "paths")) {
			be := dig(p, "backend", "service")
			if str(dig(be, "name")) != str(dig(svc, "metadata", "name")) || str(dig(be, "port", "name")) != str(dig(svcPorts[0], "name")) {
				t.Errorf("Ingress path %s goes to %v, not the Service's port", str(dig(p, "path")), be)
			}
			if host == hook.Hostname() && str(dig(p, "path")) == hook.Path {
				webhookRouted = true
			}
			if strings.HasPrefix(str(dig(p, "path")), "/metrics") || str(dig(p, "path")) == "/" {
				t.Errorf("Ingress exposes %s publicly", str(dig(p, "path")))
			}
		}
	}
	if !webhookRouted {
		t.Errorf("Ingress has no rule for WEBHOOK_URL's host %s and path %s", hook.Hostname(), hook.Path)
	}

	job := k8sOne(t, ms, "Job")
	jobPod := dig(job, "spec", "template", "spec")
	jc := checkPod(t, "Job", jobPod, secrets, configs)[0]
	if !slices.Equal(asList(dig(jc, "args")), []any{"migrate"}) || str(dig(jc, "image")) != str(dig(c, "image")) {
		t.Errorf("migration Job: args %v image %v; want [migrate] on the Deployment's image", dig(jc, "args"), dig(jc, "image"))
	}
	if rp := str(dig(jobPod, "restartPolicy")); rp != "Never" && rp != "OnFailure" {
		t.Errorf("migration Job restartPolicy %q", rp)
	}
	if envOf(jc, secrets, configs)["DATABASE_URL"] == "" {
		t.Errorf("migration Job has no DATABASE_URL")
	}

	for _, hpa := range k8sFind(t, ms, "HorizontalPodAutoscaler") {
		if str(dig(hpa, "spec", "scaleTargetRef", "name")) != str(dig(dep, "metadata", "name")) {
			t.Errorf("HPA scales %v, not the Deployment", dig(hpa, "spec", "scaleTargetRef"))
		}
		if n, _ := strconv.Atoi(str(dig(hpa, "spec", "minReplicas"))); n < 2 {
			t.Errorf("HPA minReplicas %d < 2", n)
		}
	}
	if ns := k8sFind(t, ms, "Namespace"); len(ns) != 1 || str(dig(ns[0], "metadata", "name")) != k.Namespace {
		t.Errorf("the Namespace manifest does not match kustomization's namespace %q", k.Namespace)
	}
}

// maxReplicas is the most replicas that can run: the Deployment's, or the
// HPA's maximum when kustomization.yaml enables it.
func maxReplicas(t *testing.T, ms []manifest, dep map[string]any) int {
	n, _ := strconv.Atoi(str(dig(dep, "spec", "replicas")))
	var k struct {
		Resources []string `yaml:"resources"`
	}
	_ = yaml.Unmarshal(readFile(t, "deploy/k8s/kustomization.yaml"), &k)
	for _, m := range ms {
		if str(m.doc["kind"]) == "HorizontalPodAutoscaler" && slices.Contains(k.Resources, m.file) {
			if max, _ := strconv.Atoi(str(dig(m.doc, "spec", "maxReplicas"))); max > n {
				n = max
			}
		}
	}
	return n
}

// ---------------------------------------------------------------------
// Grafana dashboard and Prometheus configuration

var metricSelector = regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{`)

// builtinSeries are made by Prometheus itself.
var builtinSeries = map[string]bool{"up": true, "scrape_duration_seconds": true}

// dashboardQueries returns every PromQL expression of the dashboard (panels,
// rows' nested panels, and query variables).
func dashboardQueries(t *testing.T) []string {
	t.Helper()
	var d struct {
		UID        string            `json:"uid"`
		Title      string            `json:"title"`
		Panels     []json.RawMessage `json:"panels"`
		Templating struct {
			List []struct {
				Type       string `json:"type"`
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	data := readFile(t, "deploy/grafana/dalil-dashboard.json")
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("dalil-dashboard.json is not valid JSON: %v", err)
	}
	if d.UID == "" || d.Title == "" || len(d.Panels) == 0 {
		t.Fatalf("dashboard: uid %q title %q panels %d", d.UID, d.Title, len(d.Panels))
	}
	type panel struct {
		ID      int                 `json:"id"`
		Type    string              `json:"type"`
		Title   string              `json:"title"`
		Panels  []json.RawMessage   `json:"panels"`
		GridPos *struct{ H, W int } `json:"gridPos"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	}
	var exprs []string
	ids := map[int]bool{}
	var walk func([]json.RawMessage)
	walk = func(raws []json.RawMessage) {
		for _, raw := range raws {
			var p panel
			if err := json.Unmarshal(raw, &p); err != nil {
				t.Fatalf("dashboard panel: %v", err)
			}
			if ids[p.ID] || p.ID == 0 {
				t.Errorf("panel %q: id %d missing or used twice", p.Title, p.ID)
			}
			ids[p.ID] = true
			if p.GridPos == nil || p.GridPos.W == 0 || p.GridPos.H == 0 {
				t.Errorf("panel %q has no gridPos", p.Title)
			}
			if p.Type != "row" && p.Type != "text" && len(p.Targets) == 0 {
				t.Errorf("panel %q (%s) queries nothing", p.Title, p.Type)
			}
			for _, tg := range p.Targets {
				if strings.TrimSpace(tg.Expr) == "" {
					t.Errorf("panel %q has an empty query", p.Title)
				}
				exprs = append(exprs, tg.Expr)
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		if v.Type == "query" {
			exprs = append(exprs, v.Definition)
		}
	}
	return exprs
}

func TestGrafanaDashboard(t *testing.T) {
	names, prefixes := registeredMetrics(t)
	if !names["dalil_updates_total"] || !names["dalil_update_handling_seconds_bucket"] {
		t.Fatalf("the source scan found no bot metric (found %v): fix the scan", keys(names))
	}
	labelValues := regexp.MustCompile(`label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)`)
	used := map[string]bool{}
	for _, e := range dashboardQueries(t) {
		found := metricSelector.FindAllStringSubmatch(e, -1)
		found = append(found, labelValues.FindAllStringSubmatch(e, -1)...)
		if len(found) == 0 {
			t.Errorf("query %q: no metric with a {…} selector found (select with {job=~\"$job\"})", e)
		}
		for _, m := range found {
			name := m[1]
			used[name] = true
			ok := names[name] || builtinSeries[name] || slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(name, p) })
			if !ok {
				t.Errorf("the dashboard queries %s, which the code does not register (query %q)", name, e)
			}
		}
		if strings.Contains(e, "dalil_") && !strings.Contains(e, `job=~"$job"`) && !strings.HasPrefix(e, "label_values(") {
			t.Errorf("query %q does not filter on $job", e)
		}
	}
	// What the operators asked for is on it.
	all := strings.Join(dashboardQueries(t), "\n")
	for _, want := range []string{
		"rate(dalil_updates_total",
		"histogram_quantile(0.5, sum by (le) (rate(dalil_update_handling_seconds_bucket",
		"histogram_quantile(0.99, sum by (le) (rate(dalil_update_handling_seconds_bucket",
		"sum by (method, code) (rate(dalil_botapi_errors_total",
		"rate(dalil_ratelimit_waits_total",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the dashboard lacks a query with %q", want)
		}
	}
	// Every bot metric has a panel (a new one shows up here).
	for n := range names {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_sum"), "_count")
		if strings.HasPrefix(n, "dalil_") && !used[n] && !used[base+"_bucket"] && !used[base] {
			t.Errorf("metric %s has no panel on the dashboard", n)
		}
	}
}

func TestPrometheusConfig(t *testing.T) {
	var cfg struct {
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			MetricsPath   string `yaml:"metrics_path"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
			KubernetesSD []struct {
				Role string `yaml:"role"`
			} `yaml:"kubernetes_sd_configs"`
			Relabel []struct {
				SourceLabels []string `yaml:"source_labels"`
				Action       string   `yaml:"action"`
				TargetLabel  string   `yaml:"target_label"`
				Replacement  string   `yaml:"replacement"`
			} `yaml:"relabel_configs"`
		} `yaml:"scrape_configs"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(readFile(t, "deploy/prometheus.yml")))
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("prometheus.yml: %v", err)
	}
	c := loadCompose(t)
	_, port, _ := net.SplitHostPort(c.Services["dalil"].Environment["HTTP_ADDR"])
	static, k8s := false, false
	for _, sc := range cfg.ScrapeConfigs {
		for _, s := range sc.StaticConfigs {
			for _, tg := range s.Targets {
				if tg == "dalil:"+port && (sc.MetricsPath == "" || sc.MetricsPath == "/metrics") {
					static = true
				}
			}
		}
		if len(sc.KubernetesSD) > 0 {
			keep, job := false, false
			for _, r := range sc.Relabel {
				if r.Action == "keep" && slices.Contains(r.SourceLabels, "__meta_kubernetes_pod_annotation_prometheus_io_scrape") {
					keep = true
				}
				if r.TargetLabel == "job" && r.Replacement == "dalil" {
					job = true
				}
			}
			k8s = keep && job
		}
	}
	if !static {
		t.Errorf("prometheus.yml: no static target dalil:%s (compose's service and port)", port)
	}
	if !k8s {
		t.Errorf("prometheus.yml: the Kubernetes job should keep annotated pods and label them job=dalil")
	}
	dep := k8sDeployment(t)
	ann := dig(dep, "spec", "template", "metadata", "annotations")
	c0 := dig(dep, "spec", "template", "spec", "containers", 0)
	if str(dig(ann, "prometheus.io/scrape")) != "true" || str(dig(ann, "prometheus.io/port")) != strconv.Itoa(containerPort(c0, "http")) ||
		str(dig(ann, "prometheus.io/path")) != "/metrics" {
		t.Errorf("Deployment's prometheus.io annotations %v do not point at the metrics port and path", ann)
	}
}

// ---------------------------------------------------------------------
// systemd unit

func TestSystemdUnit(t *testing.T) {
	unit := map[string]string{}
	section := ""
	for _, l := range strings.Split(string(readFile(t, "deploy/dalil.service")), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "" || strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "["):
			section = strings.Trim(l, "[]")
		default:
			k, v, ok := strings.Cut(l, "=")
			if !ok {
				t.Errorf("dalil.service: %q is not KEY=VALUE", l)
			}
			unit[section+"."+k] = v
		}
	}
	for key, want := range map[string]string{
		"Service.ExecStart":       "/usr/local/bin/dalil serve",
		"Service.EnvironmentFile": "/etc/dalil/dalil.env",
		"Service.KillSignal":      "SIGTERM",
		"Service.Restart":         "on-failure",
		"Service.NoNewPrivileges": "yes",
		"Install.WantedBy":        "multi-user.target",
	} {
		if unit[key] != want {
			t.Errorf("dalil.service %s=%q, want %q", key, unit[key], want)
		}
	}
	if u := unit["Service.User"]; u == "" || u == "root" || u == "0" {
		t.Errorf("dalil.service runs as %q: want a dedicated user", u)
	}
	if d, err := time.ParseDuration(unit["Service.TimeoutStopSec"]); err != nil || d <= 10*time.Second {
		t.Errorf("TimeoutStopSec %q: want more than the bot's 10 s grace period", unit["Service.TimeoutStopSec"])
	}
	if !strings.Contains(unit["Unit.After"], "postgresql") || !strings.Contains(unit["Unit.After"], "redis") {
		t.Errorf("dalil.service starts without waiting for PostgreSQL and Redis: After=%s", unit["Unit.After"])
	}
}

// The compose instructions put the bot token and passwords in deploy/.env:
// git must ignore it (the audit found it was not).
func TestSettingsFileIsGitIgnored(t *testing.T) {
	ignored := false
	for _, f := range []string{".gitignore", "deploy/.gitignore"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			switch {
			case f == ".gitignore" && (line == "deploy/.env" || line == "/deploy/.env" || line == ".env"),
				f == "deploy/.gitignore" && (line == ".env" || line == "/.env"):
				ignored = true
			}
		}
	}
	if !ignored {
		t.Error("deploy/.env (the compose settings, with the secrets) is not git-ignored")
	}
	if !strings.Contains(string(readFile(t, "deploy/compose.yaml")), "env_file: .env") {
		t.Error("compose.yaml no longer reads deploy/.env: update this test")
	}
}
