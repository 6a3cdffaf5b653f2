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
	data := unsafe.Slice((*byte)(unsafe.Pointer(addr)), size)
	return data, func() error { return windows.UnmapViewOfFile(addr) }, nil
}
