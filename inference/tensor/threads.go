package tensor

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// DefaultThreads is the number of physical cores (hyper-threads share a
// core's vector units, so more threads than cores rarely helps these
// bandwidth-bound kernels). On Linux it counts distinct (package, core) ids
// under /sys; elsewhere, or when that fails, it is runtime.NumCPU().
func DefaultThreads() int {
	if n := physicalCores("/sys/devices/system/cpu"); n > 0 {
		return min(n, runtime.NumCPU())
	}
	return runtime.NumCPU()
}

func physicalCores(root string) int {
	dirs, err := filepath.Glob(filepath.Join(root, "cpu[0-9]*", "topology"))
	if err != nil || len(dirs) == 0 {
		return 0
	}
	seen := map[string]bool{}
	for _, d := range dirs {
		core, err1 := os.ReadFile(filepath.Join(d, "core_id"))
		pkg, err2 := os.ReadFile(filepath.Join(d, "physical_package_id"))
		if err1 != nil || err2 != nil {
			continue
		}
		seen[strings.TrimSpace(string(pkg))+"/"+strings.TrimSpace(string(core))] = true
	}
	return len(seen)
}
