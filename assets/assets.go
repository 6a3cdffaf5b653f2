// Package assets holds Burrow's embedded resources. The icon is drawn by
// ./gen (go run ./assets/gen > assets/icon.png) so it can be regenerated.
package assets

import _ "embed"

// IconPNG is the 512x512 app icon.
//
//go:embed icon.png
var IconPNG []byte
