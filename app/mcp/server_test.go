package mcp

import (
	"context"
	"fmt"
	"os"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// The test binary is also the MCP server the tests start: with
// BURROW_MCP_TEST_SERVER set it serves over stdio instead of running tests.
// Each call is logged to BURROW_MCP_TEST_LOG, so a test can tell whether the
// server process was ever called.
func TestMain(m *testing.M) {
	switch os.Getenv("BURROW_MCP_TEST_SERVER") {
	case "":
		os.Exit(m.Run())
	case "echo":
		serveEcho()
		os.Exit(0)
	case "crash":
		fmt.Fprintln(os.Stderr, "boom: no config for the crash server")
		os.Exit(3)
	case "garbage":
		fmt.Println("this is not JSON-RPC")
		os.Exit(0)
	}
	os.Exit(2)
}

type echoArgs struct {
	Text string `json:"text" jsonschema:"the text to repeat"`
}

type addArgs struct {
	A int `json:"a"`
	B int `json:"b"`
}

func logCall(name string) {
	f, err := os.OpenFile(os.Getenv("BURROW_MCP_TEST_LOG"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
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
