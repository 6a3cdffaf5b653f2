// Package models is Burrow's model library on disk, its Hugging Face Hub
// client and its download manager.
//
// The library is rebuilt from disk on every scan (there is no index file to
// corrupt); downloads go to "<file>.part" beside their destination, resume
// with Range/If-Range after a crash, and are renamed into place only once
// their sha256 matches. Nothing here imports Fyne: the UI and the CLI are
// both front ends on Library, Hub and Manager.
package models
