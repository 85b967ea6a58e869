package main

import (
	"runtime/debug"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=..."; left
// alone, the module's build info says it (versionFrom).
var version = ""

func init() {
	if version == "" {
		bi, _ := debug.ReadBuildInfo()
		version = versionFrom(bi)
	}
}

// versionFrom is what --version says for a binary built as bi describes:
// the module's version for `go install ...@vX` (vX), else the VCS
// revision and whether the tree was modified, else "devel".
func versionFrom(bi *debug.BuildInfo) string {
	if bi == nil {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	parts := []string{"devel", rev}
	if modified == "true" {
		parts = append(parts, "dirty")
	}
	return strings.Join(parts, " ")
}
