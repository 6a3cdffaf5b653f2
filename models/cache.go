package models

import (
	"path/filepath"
	"sync"
)

// metaCacheVersion changes whenever Meta's meaning changes, so stale caches
// from an older Burrow are ignored rather than trusted.
const metaCacheVersion = 1

// metaCache remembers each file's Meta by path, size and mtime so a scan opens
// only new or changed files. Losing it costs time, never correctness: a
// missing or corrupt cache file is ignored.
type metaCache struct {
	path  string
	mu    sync.Mutex
	dirty bool
	data  cacheFile
}

type cacheFile struct {
	Version int                   `json:"version"`
	Entries map[string]cacheEntry `json:"entries"`
}

type cacheEntry struct {
	Size    int64 `json:"size"`
	ModTime int64 `json:"mtime_ns"`
	Total   int64 `json:"total"` // all shards, which the memory estimate counts
	Meta    Meta  `json:"meta"`
}

func loadMetaCache(stateDir string) *metaCache {
	c := &metaCache{path: filepath.Join(stateDir, "library-cache.json")}
	if err := readJSON(c.path, &c.data); err != nil || c.data.Version != metaCacheVersion {
		c.data = cacheFile{}
	}
	c.data.Version = metaCacheVersion
	if c.data.Entries == nil {
		c.data.Entries = map[string]cacheEntry{}
	}
	return c
}

func (c *metaCache) get(path string, size, mtime, total int64) (Meta, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.data.Entries[path]
	if !ok || e.Size != size || e.ModTime != mtime || e.Total != total {
		return Meta{}, false
	}
	return e.Meta, true
}

func (c *metaCache) put(path string, size, mtime, total int64, m Meta) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.data.Entries[path] = cacheEntry{Size: size, ModTime: mtime, Total: total, Meta: m}
	c.dirty = true
}

// keepOnly drops entries for files no longer seen, so the cache stays small.
func (c *metaCache) keepOnly(seen map[string]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for p := range c.data.Entries {
		if !seen[p] {
			delete(c.data.Entries, p)
			c.dirty = true
		}
	}
}

func (c *metaCache) save() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dirty {
		return nil
	}
	if err := writeJSONAtomic(c.path, c.data); err != nil {
		return err
	}
	c.dirty = false
	return nil
}
