package main

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
)

const (
	markerStart = "<!-- demo:start -->"
	markerEnd   = "<!-- demo:end -->"
)

// report prints the summary, fails if a check failed, and otherwise
// writes the summary into the document.
func (d *demo) report(res *results) error {
	var fails []string
	check := func(ok bool, what string) string {
		if ok {
			return "yes"
		}
		fails = append(fails, what)
		return "**no**"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| step | result | as expected |\n|---|---|---|\n")
	fmt.Fprintf(&b, "| (a) the same URL twice through nginx | %s | %s |\n", strings.Join(res.hitMiss, "; "), check(res.hitMissOK, "MISS then HIT"))
	fmt.Fprintf(&b, "| (b) conditional GET through nginx | %s | %s |\n", res.notModified, check(res.notModOK, "304 through nginx"))
	fmt.Fprintf(&b, "| (c) rollout v1 → v2, replica by replica | replica 1 served v2 %.2f s after its rename, replica 2 %.2f s after its own | yes |\n",
		res.switched[0].Seconds(), res.switched[1].Seconds())
	fmt.Fprintf(&b, "| (c) load through nginx during the rollout | %s | %s |\n", streamLine(res.proxy, true), check(res.proxy.failed == 0, "0 failed through nginx"))
	dv := res.direct.versions()
	fmt.Fprintf(&b, "| (c) load straight to the replicas during the rollout | %s | %s |\n", streamLine(res.direct, false),
		check(res.direct.failed == 0 && dv["v1"] > 0 && dv["v2"] > 0, "0 failed and both versions straight from the replicas"))
	fmt.Fprintf(&b, "| (d) after the rollout | %s | %s |\n", strings.Join(res.after, "; "), check(res.afterOK, "after the rollout"))

	b.WriteString("\nResponses by phase of the rollout (a phase starts when the demo sees the replica answer with v2):\n\n")
	b.WriteString("| phase | through nginx: v1 | v2 | no ETag | cache status | straight to replicas: v1 | v2 | no ETag |\n|---|---|---|---|---|---|---|---|\n")
	for i := range phases {
		p, d := res.proxy.byPhase[i], res.direct.byPhase[i]
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %s | %d | %d | %d |\n", phaseNames[i],
			p["v1"], p["v2"], p["-"], counts(res.proxy.byCache[i]), d["v1"], d["v2"], d["-"])
	}
	summary := b.String()
	d.say("\n==> summary\n\n%s", summary)
	if len(fails) > 0 {
		if res.proxy.firstErr != "" || res.direct.firstErr != "" {
			d.say("first failure: through nginx: %q; straight: %q", res.proxy.firstErr, res.direct.firstErr)
		}
		return fmt.Errorf("not as expected: %s (logs in %s)", strings.Join(fails, ", "), d.dir)
	}
	if d.doc == "" {
		return nil
	}
	load := "?"
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	header := fmt.Sprintf("Last run: %s, `make scaling-demo` (%s; two replicas and nginx on loopback, this 2-core machine, load average %s at the end; logs in `data/scaling/`).\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), res.nginxVersion, load)
	if err := replaceSection(d.doc, header+summary); err != nil {
		return err
	}
	d.say("wrote the summary into %s", d.doc)
	return nil
}

// streamLine sums up one load stream.
func streamLine(t *tally, cache bool) string {
	v := t.versions()
	line := fmt.Sprintf("%d requests, %d failed; v1: %d, v2: %d", t.total, t.failed, v["v1"], v["v2"])
	if n := v["-"]; n > 0 {
		line += fmt.Sprintf(", no ETag: %d", n)
	}
	if cache {
		all := map[string]int{}
		for _, m := range t.byCache {
			for k, n := range m {
				all[k] += n
			}
		}
		line += "; " + counts(all)
	}
	return line
}

// counts formats a count map as "A 3, B 2", largest first.
func counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	if len(parts) == 0 {
		return "–"
	}
	return strings.Join(parts, ", ")
}

// replaceSection rewrites what lies between the demo markers in the file
// at path.
func replaceSection(path, content string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := string(b)
	i := strings.Index(s, markerStart)
	j := strings.Index(s, markerEnd)
	if i < 0 || j < i {
		return fmt.Errorf("%s has no %s … %s section", path, markerStart, markerEnd)
	}
	out := s[:i+len(markerStart)] + "\n" + strings.TrimRight(content, "\n") + "\n" + s[j:]
	return os.WriteFile(path, []byte(out), 0o644)
}
