//go:build linux

// Package sysmem tells how much memory the system can still give a process.
package sysmem

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// Available reads MemAvailable from /proc/meminfo: the memory the
// kernel thinks can be given to a new process without swapping.
func Available() (uint64, error) {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	return parse(data)
}

// parse finds "MemAvailable:  123456 kB" and returns bytes.
func parse(meminfo []byte) (uint64, error) {
	sc := bufio.NewScanner(bytes.NewReader(meminfo))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) >= 2 && string(f[0]) == "MemAvailable:" {
			kb, err := strconv.ParseUint(string(f[1]), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/meminfo: %w", err)
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("/proc/meminfo: no MemAvailable line")
}
