// Package mcptest is a real MCP server for tests, served by the test
// binary itself: a test package's TestMain calls ServeIfAsked, and a config
// from Server starts that binary in server mode (as net/http/httptest gives
// a real HTTP server). Its tools: echo {text}, add {a, b}, fail (a tool
// error), die (the server exits mid-call). Each call is logged to a file, so
// a test can tell whether the process was ever called.
package mcptest

import (
	"context"
	"fmt"
	"os"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

const (
	modeEnv = "BURROW_MCP_TEST_SERVER"
	logEnv  = "BURROW_MCP_TEST_LOG"
)

// Modes of the test server.
const (
	Echo    = "echo"    // serves the tools
	Crash   = "crash"   // writes to stderr and exits 3 before the handshake
	Garbage = "garbage" // answers the handshake with a line that is not JSON-RPC
)

// ServeIfAsked turns the process into the server when a config from
// Server started it: call it first in TestMain. It returns otherwise.
func ServeIfAsked() {
	switch os.Getenv(modeEnv) {
	case "":
		return
	case Echo:
		serveEcho()
		os.Exit(0)
	case Crash:
		fmt.Fprintln(os.Stderr, "boom: no config for the crash server")
		os.Exit(3)
	case Garbage:
		fmt.Println("this is not JSON-RPC")
		os.Exit(0)
	}
	os.Exit(2)
}

// Server is the command, arguments and environment that start this test
// binary as a server in mode, logging calls to log (mcp.json's fields).
func Server(mode, log string) (command string, args []string, env map[string]string) {
	return os.Args[0], []string{"-test.run=^$"}, map[string]string{modeEnv: mode, logEnv: log}
}

// Calls lists the calls the server logged ("echo <text>", "add", ...).
func Calls(log string) ([]string, error) {
	data, err := os.ReadFile(log)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return strings.FieldsFunc(string(data), func(r rune) bool { return r == '\n' }), nil
}

type echoArgs struct {
	Text string `json:"text" jsonschema:"the text to repeat"`
}

type addArgs struct {
	A int `json:"a"`
	B int `json:"b"`
}

func logCall(name string) {
	f, err := os.OpenFile(os.Getenv(logEnv), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	fmt.Fprintln(f, name)
	f.Close()
}

func text(s string) *sdk.CallToolResult {
	return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: s}}}
}

func serveEcho() {
	s := sdk.NewServer(&sdk.Implementation{Name: "echo-test", Version: "1"}, nil)
	sdk.AddTool(s, &sdk.Tool{Name: "echo", Description: "Repeats the text."}, func(_ context.Context, _ *sdk.CallToolRequest, in echoArgs) (*sdk.CallToolResult, any, error) {
		logCall("echo " + in.Text)
		return text("echo: " + in.Text), nil, nil
	})
	sdk.AddTool(s, &sdk.Tool{Name: "add", Description: "Adds two integers."}, func(_ context.Context, _ *sdk.CallToolRequest, in addArgs) (*sdk.CallToolResult, any, error) {
		logCall("add")
		return text(fmt.Sprint(in.A + in.B)), nil, nil
	})
	sdk.AddTool(s, &sdk.Tool{Name: "fail", Description: "Always fails."}, func(_ context.Context, _ *sdk.CallToolRequest, _ struct{}) (*sdk.CallToolResult, any, error) {
		logCall("fail")
		return &sdk.CallToolResult{IsError: true, Content: []sdk.Content{&sdk.TextContent{Text: "the disk is full"}}}, nil, nil
	})
	sdk.AddTool(s, &sdk.Tool{Name: "die", Description: "Exits the server."}, func(_ context.Context, _ *sdk.CallToolRequest, _ struct{}) (*sdk.CallToolResult, any, error) {
		logCall("die")
		fmt.Fprintln(os.Stderr, "dying on request")
		os.Exit(7)
		return nil, nil, nil
	})
	s.Run(context.Background(), &sdk.StdioTransport{})
}
