package mcp

import (
	"os"
	"testing"

	"burrow/app/mcp/mcptest"
)

// The test binary is also the MCP server the tests start (mcptest).
func TestMain(m *testing.M) {
	mcptest.ServeIfAsked()
	os.Exit(m.Run())
}
