package alloc

import (
	"context"
	"os"
	"testing"

	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/testenv"
)

// The limits come from the allocator itself: what the environment sets
// is what it reports, and what it leaves unset is the documented
// default.
func TestReadLimitsGlibc(t *testing.T) {
	ctx := context.Background()
	def, err := ReadLimits(ctx, glibcDefaults(), os.Environ())
	if err != nil {
		t.Fatal(err)
	}
	cfg := result.Config{Name: "glibc-set", Env: map[string]string{VarTunables: "glibc.malloc.mmap_threshold=1048576", "MALLOC_TRIM_THRESHOLD_": "999424"}}
	set, err := ReadLimits(ctx, cfg, Apply(nil, cfg))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		ls     []result.Limit
		name   string
		value  float64
		source string
	}{
		{def, LimitMmapThreshold, 128 << 10, "default"},
		{def, LimitMmapThresholdMax, 32 << 20, "default"},
		{set, LimitMmapThreshold, 1 << 20, "ld.so --list-tunables"},
		{set, LimitTrimThreshold, 999424, "ld.so --list-tunables"},
		{set, LimitTopPad, 128 << 10, "default"},
	}
	for _, w := range want {
		c := result.Config{Limits: w.ls}
		l := c.Limit(w.name)
		if l == nil || l.Value != w.value || l.Source != w.source {
			t.Errorf("%s: got %+v, want %g from %s", w.name, l, w.value, w.source)
		}
	}
	// A tunable set freezes the dynamic threshold: no cap is reported.
	if (&result.Config{Limits: set}).Limit(LimitMmapThresholdMax) != nil {
		t.Errorf("mmap_threshold_max reported with the threshold set: %+v", set)
	}
}

func TestReadLimitsJemalloc(t *testing.T) {
	lib := FindNamed(Jemalloc)
	if lib == "" {
		testenv.Missing(t, "no libjemalloc.so.2 (test.sh installs libjemalloc2)")
	}
	for _, c := range []struct {
		conf  string
		want  float64
		class float64 // the size class below it: 4 classes a doubling
	}{{"", 8 << 20, 7 << 20}, {"oversize_threshold:1048576,dirty_decay_ms:0", 1 << 20, 896 << 10}} {
		cfg := Preload(Jemalloc, lib)
		if c.conf != "" {
			cfg.Env[VarMallocConf] = c.conf
		}
		ls, err := ReadLimits(context.Background(), cfg, Apply(nil, cfg))
		if err != nil {
			t.Fatal(err)
		}
		rc := result.Config{Limits: ls}
		if l := rc.Limit(LimitOversize); l == nil || l.Value != c.want || l.Source != "jemalloc stats" {
			t.Errorf("MALLOC_CONF=%q: oversize_threshold %+v, want %g", c.conf, l, c.want)
		}
		if l := rc.Limit(LimitClassBelowOversize); l == nil || l.Value != c.class {
			t.Errorf("MALLOC_CONF=%q: class below oversize %+v, want %g", c.conf, l, c.class)
		}
		if c.conf != "" {
			if l := rc.Limit(LimitDirtyDecay); l == nil || l.Value != 0 {
				t.Errorf("MALLOC_CONF=%q: dirty_decay_ms %+v, want 0", c.conf, l)
			}
		}
	}
}

func TestReadLimitsMimalloc(t *testing.T) {
	lib := FindNamed(Mimalloc)
	if lib == "" {
		testenv.Missing(t, "no libmimalloc.so.2 (test.sh installs libmimalloc2.0)")
	}
	cfg := Preload(Mimalloc, lib)
	cfg.Env["MIMALLOC_DECOMMIT_DELAY"] = "7"
	ls, err := ReadLimits(context.Background(), cfg, Apply(nil, cfg))
	if err != nil {
		t.Fatal(err)
	}
	if l := (&result.Config{Limits: ls}).Limit("decommit_delay"); l == nil || l.Value != 7 {
		t.Errorf("decommit_delay %+v, want 7 (MIMALLOC_DECOMMIT_DELAY)", l)
	}
}
