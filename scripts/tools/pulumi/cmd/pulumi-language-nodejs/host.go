package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// exitCodeAlreadyReported is the exit code @pulumi/pulumi's cmd/run uses
// after it has already shown the user an actionable error; the engine should
// then stop ("bail") without printing anything further.
const exitCodeAlreadyReported = 32

// host implements pulumirpc.LanguageRuntimeServer. Methods we do not
// implement (code generation, packing, templates, ...) fall through to the
// embedded Unimplemented server; the CLI treats Unimplemented as "not
// supported" for the optional ones.
type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	engineAddr string
	tracing    string
}

func (h *host) Handshake(
	_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	// Only used when the CLI attaches to an already running host
	// (PULUMI_DEBUG_LANGUAGES); the engine address is all we need from it.
	if req.GetEngineAddress() != "" {
		h.engineAddr = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	// Same version as the CLI (both are linked with the same -X ldflag), so
	// the engine's plugin manifest reads like a stock install.
	return &pulumirpc.PluginInfo{Version: strings.TrimPrefix(version.Version, "v")}, nil
}

// Run executes a Pulumi program: `node <nodeargs> .../@pulumi/pulumi/cmd/run
// --monitor=... <program> <args>`, with configuration passed in environment
// variables, exactly the interface cmd/run/index.js and run.js read.
func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	pwd := req.GetPwd()
	if pwd == "" {
		pwd = info.GetProgramDirectory()
	}
	opts := optionsOf(info)

	runScript, err := findModule(pwd, "@pulumi/pulumi/cmd/run")
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	args := append(nodeArgs(opts), runScript)
	// `--flag=value` rather than `--flag value`: minimist (cmd/run's parser)
	// then never has to guess whether the next word is a value.
	addFlag := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name+"="+value)
		}
	}
	addFlag("monitor", req.GetMonitorAddress())
	addFlag("engine", h.engineAddr)
	addFlag("organization", req.GetOrganization())
	addFlag("project", req.GetProject())
	addFlag("stack", req.GetStack())
	addFlag("pwd", pwd)
	addFlag("root-directory", info.GetRootDirectory())
	if req.GetParallel() != 0 {
		addFlag("parallel", strconv.Itoa(int(req.GetParallel())))
	}
	addFlag("tracing", h.tracing)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	program := req.GetProgram()
	if program == "" {
		// "." makes cmd/run fall back to package.json's exports/main.
		program = "."
	}
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	env, err := runEnv(req, info, opts)
	if err != nil {
		return nil, err
	}

	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = pwd
	cmd.Env = env
	// Our stdout/stderr are already relayed to the user by the engine.
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr

	err = cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return &pulumirpc.RunResponse{}, nil
	case errors.As(err, &exitErr):
		status, ok := exitErr.Sys().(syscall.WaitStatus)
		switch {
		case ok && status.Exited() && status.ExitStatus() == exitCodeAlreadyReported:
			return &pulumirpc.RunResponse{Bail: true}, nil
		case ok && status.Exited():
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("Program exited with non-zero exit code: %d", status.ExitStatus()),
			}, nil
		default:
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited unexpectedly: %v", exitErr)}, nil
		}
	default:
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Problem executing program (could not run node): %v", err),
		}, nil
	}
}

// runEnv is the program's environment: ours plus what @pulumi/pulumi's
// runtime reads (runtime/config.js and cmd/run/run.js).
func runEnv(req *pulumirpc.RunRequest, info *pulumirpc.ProgramInfo, opts map[string]any) ([]string, error) {
	config := req.GetConfig()
	if config == nil {
		config = map[string]string{}
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		return nil, fmt.Errorf("serializing config: %w", err)
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{} // "[]", not "null"
	}
	secretKeysJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, fmt.Errorf("serializing config secret keys: %w", err)
	}

	env := append(os.Environ(),
		"PULUMI_CONFIG="+string(configJSON),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeysJSON),
	)

	// Pulumi.yaml `runtime.options.typescript` (default true) switches ts-node on.
	typescript := true
	if v, ok := opts["typescript"].(bool); ok {
		typescript = v
	}
	env = append(env, "PULUMI_NODEJS_TYPESCRIPT="+strconv.FormatBool(typescript))

	// `runtime.options.tsconfig` is written relative to Pulumi.yaml; cmd/run
	// resolves the variable relative to its working directory (the program
	// directory, which differs when `main:` points into a subdirectory), so
	// hand it an absolute path.
	if tsconfig, ok := opts["tsconfig"].(string); ok && tsconfig != "" {
		if !filepath.IsAbs(tsconfig) && info.GetRootDirectory() != "" {
			tsconfig = filepath.Join(info.GetRootDirectory(), tsconfig)
		}
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+tsconfig)
	}
	// PULUMI_NODEJS_TRANSPILE_ONLY (skip ts-node type checking) is not a
	// Pulumi.yaml option upstream; it is inherited from the caller's
	// environment like every other variable.
	return env, nil
}

// RunPlugin runs a plugin written in Node.js: policy packs (kind "analyzer",
// which is how `pulumi preview --policy-pack <dir>` starts a nodejs pack when a
// nodejs language host is installed) and component providers described by a
// PulumiPlugin.yaml. Output is streamed back; the plugin itself prints the
// port the engine connects to.
func (h *host) RunPlugin(
	req *pulumirpc.RunPluginRequest, srv pulumirpc.LanguageRuntime_RunPluginServer,
) error {
	info := req.GetInfo()
	dir := info.GetProgramDirectory()
	if dir == "" {
		dir = req.GetProgram() //nolint:staticcheck // older CLIs only set this
	}
	opts := optionsOf(info)

	// Engine-facing arguments: the CLI puts Go-style logging flags
	// (--logtostderr, -v=N, --tracing URL) in front of the engine address.
	// Node's minimist would read "--logtostderr <addr>" as a flag with a
	// value and lose the address, so only positional arguments are passed.
	engineArgs := positionalArgs(req.GetArgs())

	var script string
	var args []string
	switch req.GetKind() {
	case "analyzer":
		// cmd/run-policy-pack: <engine-address> <program>
		script = "@pulumi/pulumi/cmd/run-policy-pack"
		args = append(append(args, engineArgs...), dir)
	default:
		// cmd/run-plugin: <program> <args the provider reads, i.e. the engine address>
		script = "@pulumi/pulumi/cmd/run-plugin"
		args = append(append(args, dir), engineArgs...)
	}
	scriptPath, err := findModule(dir, script)
	if err != nil {
		return err
	}
	args = append(append(nodeArgs(opts), scriptPath), args...)

	env := req.GetEnv()
	if len(env) == 0 {
		env = os.Environ()
	}

	out := &streamWriter{send: srv.Send}
	cmd := exec.CommandContext(srv.Context(), "node", args...)
	// The plugin's own directory, so its tsconfig.json and node_modules are
	// the ones used (cmd/run-policy-pack looks for ./tsconfig.json).
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = out.stream(false)
	cmd.Stderr = out.stream(true)
	// Don't hang forever on pipes inherited by grandchildren once node exits.
	cmd.WaitDelay = 5 * time.Second

	code := int32(0)
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return fmt.Errorf("running %s: %w", script, err)
		}
		code = int32(exitErr.ExitCode())
	}
	return out.send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}})
}

// streamWriter forwards a child's stdout/stderr as RunPluginResponse
// messages. gRPC streams are not safe for concurrent Send, and exec copies
// stdout and stderr on separate goroutines, hence the mutex.
type streamWriter struct {
	mu   sync.Mutex
	send func(*pulumirpc.RunPluginResponse) error
}

type streamFunc func([]byte) (int, error)

func (f streamFunc) Write(p []byte) (int, error) { return f(p) }

func (w *streamWriter) stream(stderr bool) streamFunc {
	return func(p []byte) (int, error) {
		b := append([]byte(nil), p...) // exec reuses its buffer
		msg := &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}}
		if stderr {
			msg = &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}}
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		if err := w.send(msg); err != nil {
			return 0, err
		}
		return len(p), nil
	}
}

func positionalArgs(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--tracing" || a == "-tracing":
			i++ // skip its value
		case strings.HasPrefix(a, "-"):
		default:
			out = append(out, a)
		}
	}
	return out
}

func (h *host) GetRequiredPlugins(
	_ context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetPwd() //nolint:staticcheck // older CLIs only set this
	}
	deps, err := requiredPackages(dir)
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.GetRequiredPluginsResponse{}
	for _, d := range deps {
		resp.Plugins = append(resp.Plugins, &pulumirpc.PluginDependency{
			Name: d.Name, Kind: d.Kind, Version: d.Version, Server: d.Server,
		})
	}
	return resp, nil
}

func (h *host) GetRequiredPackages(
	_ context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	deps, err := requiredPackages(req.GetInfo().GetProgramDirectory())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: deps}, nil
}

// InstallDependencies is what `pulumi install`/`pulumi new` call. In this
// repository npm (package-lock.json) owns node_modules, so we only say so
// rather than run a second installer behind its back.
func (h *host) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, srv pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetDirectory() //nolint:staticcheck // older CLIs only set this
	}
	msg := fmt.Sprintf("Node.js dependencies are managed by npm here; run `npm install` (or `npm ci`) in %s.\n", dir)
	return srv.Send(&pulumirpc.InstallDependenciesResponse{Stdout: []byte(msg)})
}

func (h *host) RuntimeOptionsPrompts(
	context.Context, *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	// No interactive questions for `pulumi new`; npm is the only package manager we use.
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

// About feeds `pulumi about`.
func (h *host) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("could not find node on the $PATH: %w", err)
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("running node --version: %w", err)
	}
	return &pulumirpc.AboutResponse{
		Executable: node,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "v"),
		Metadata:   map[string]string{"languageHost": "runbooks pulumi-language-nodejs"},
	}, nil
}

// GetProgramDependencies feeds `pulumi about` as well: the project's direct
// dependencies with the versions actually installed in node_modules.
func (h *host) GetProgramDependencies(
	_ context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	deps, err := programDependencies(req.GetInfo().GetProgramDirectory())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	// Running programs are cancelled through their RPC contexts.
	return &emptypb.Empty{}, nil
}

// optionsOf returns Pulumi.yaml's `runtime.options` as a plain map.
func optionsOf(info *pulumirpc.ProgramInfo) map[string]any {
	if info.GetOptions() == nil {
		return map[string]any{}
	}
	return info.GetOptions().AsMap()
}

// nodeArgs returns `runtime.options.nodeargs` (extra flags for node itself,
// e.g. "--max-old-space-size=4096") split into words.
func nodeArgs(opts map[string]any) []string {
	if s, ok := opts["nodeargs"].(string); ok {
		return strings.Fields(s)
	}
	return nil
}
