// RunPlugin for the v3.68 nodejs language host, added at build time by tools/setup-engine.sh.
//
// Why: a 3.27x engine starts a TypeScript policy pack through the language host's RunPlugin RPC, and v3.68's is a
// stub ("not supported"), so `pulumi preview --policy-pack` fails before the pack loads. v3.68's generated request
// type predates the `info` (5) and `kind` (6) fields the engine sends, so they are read from the unknown fields.
// Only analyzer (policy pack) plugins are run; anything else keeps the old answer.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/encoding/protowire"
)

// pluginRequestExtras are the fields of a newer RunPluginRequest that v3.68's generated code does not know.
type pluginRequestExtras struct {
	programDirectory string
	kind             string
}

// stringField returns the last value of a length-delimited field `num` in raw protobuf bytes.
func stringField(raw []byte, num protowire.Number) (string, error) {
	value := ""
	for len(raw) > 0 {
		field, typ, n := protowire.ConsumeTag(raw)
		if n < 0 {
			return "", protowire.ParseError(n)
		}
		raw = raw[n:]
		if field == num && typ == protowire.BytesType {
			b, m := protowire.ConsumeBytes(raw)
			if m < 0 {
				return "", protowire.ParseError(m)
			}
			value = string(b)
			raw = raw[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(field, typ, raw)
		if m < 0 {
			return "", protowire.ParseError(m)
		}
		raw = raw[m:]
	}
	return value, nil
}

func readExtras(req *pulumirpc.RunPluginRequest) (pluginRequestExtras, error) {
	unknown := req.ProtoReflect().GetUnknown()
	info, err := stringField(unknown, 5)
	if err != nil {
		return pluginRequestExtras{}, err
	}
	kind, err := stringField(unknown, 6)
	if err != nil {
		return pluginRequestExtras{}, err
	}
	// ProgramInfo: root_directory = 1, program_directory = 2.
	dir, err := stringField([]byte(info), 2)
	if err != nil {
		return pluginRequestExtras{}, err
	}
	if dir == "" {
		if dir, err = stringField([]byte(info), 1); err != nil {
			return pluginRequestExtras{}, err
		}
	}
	return pluginRequestExtras{programDirectory: dir, kind: kind}, nil
}

// pluginOutput forwards one stream of the child as RunPluginResponse messages.
type pluginOutput struct {
	mu     *sync.Mutex
	server pulumirpc.LanguageRuntime_RunPluginServer
	stderr bool
}

func (w pluginOutput) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	data := append([]byte(nil), p...)
	var msg pulumirpc.RunPluginResponse
	if w.stderr {
		msg.Output = &pulumirpc.RunPluginResponse_Stderr{Stderr: data}
	} else {
		msg.Output = &pulumirpc.RunPluginResponse_Stdout{Stdout: data}
	}
	if err := w.server.Send(&msg); err != nil {
		return 0, err
	}
	return len(p), nil
}

// runPolicyPack runs `node <pack>/node_modules/@pulumi/pulumi/cmd/run-policy-pack <engine> <pack>` in the pack's
// directory, streaming its output; the engine reads the analyzer's port from the first stdout line.
func runPolicyPack(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	extras, err := readExtras(req)
	if err != nil {
		return fmt.Errorf("reading the RunPlugin request: %w", err)
	}
	if extras.kind != "analyzer" || extras.programDirectory == "" {
		return errors.New("not supported")
	}
	dir := extras.programDirectory
	runner := filepath.Join(dir, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack")
	if _, err := os.Stat(runner); err != nil {
		return fmt.Errorf("policy pack %s: %s not found; run npm ci in the pack's folder", dir, runner)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("policy pack %s: node is not on PATH: %w", dir, err)
	}
	args := append(append([]string{runner}, req.GetArgs()...), dir)
	cmd := exec.Command(node, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), req.GetEnv()...)
	var mu sync.Mutex
	cmd.Stdout = pluginOutput{mu: &mu, server: server}
	cmd.Stderr = pluginOutput{mu: &mu, server: server, stderr: true}
	code := int32(0)
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			return err
		}
		code = int32(exit.ExitCode())
	}
	mu.Lock()
	defer mu.Unlock()
	return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}})
}
