// Command pulumi-language-python is this project's own, minimal Pulumi language host for Python programs.
//
// Why this exists: the Pulumi engine runs a `runtime: python` program through a "language host" plugin named
// pulumi-language-python, which it looks for on PATH or next to the `pulumi` executable. Upstream builds that
// plugin from the Go module github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3, but the Go
// module proxy that this project's machines reach does not serve that module at any version (403 "This module
// version is not available"), so the official host cannot be built here. The CLI itself (pkg/v3) and the SDK
// (sdk/v3) are served, so scripts/install-pulumi builds `pulumi` from them and builds this host next to it.
//
// This host is our own code, written against the LanguageRuntime gRPC service in sdk/v3's proto/go. It does
// only what a plain pip/virtualenv Python project needs:
//
//   - Run: start `<python> -u <dir of this binary>/pulumi-language-python-exec --monitor ... PROGRAM` (the exec
//     script is copied from the sdk/v3 module by scripts/install-pulumi) with the stack config in PULUMI_CONFIG /
//     PULUMI_CONFIG_SECRET_KEYS, pass its stdout/stderr through to the engine, and map its exit code: 0 is
//     success, 32 means "the program already showed the user an error" (RunResponse.Bail), anything else is
//     reported as an error.
//   - GetRequiredPackages / GetRequiredPlugins: nothing. A dynamic provider's plugin (pulumi-python) is bundled
//     next to the CLI and needs no download. Programs that use packaged providers (pulumi_aws, ...) are out of
//     scope for this host.
//   - InstallDependencies: create the virtualenv and `pip install -r requirements.txt` only if the virtualenv is
//     missing; an existing virtualenv is reported as ready and left alone.
//   - Handshake, GetPluginInfo, About, GetProgramDependencies, RuntimeOptionsPrompts, Cancel: small answers.
//
// The Python interpreter comes from Pulumi.yaml's `runtime.options.virtualenv` (relative paths are resolved
// against the project root, the directory of Pulumi.yaml, like upstream), else PULUMI_PYTHON_CMD, else python3.
// Only the `pip` toolchain (the default) is supported. Everything else answers Unimplemented.
//
// Usage (as the engine launches it): pulumi-language-python [-tracing URL] [-root DIR] ENGINE_ADDRESS
// It prints the port of its gRPC server as the first line of stdout, then serves until the engine stops it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	sdkversion "github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// hostVersion is what GetPluginInfo reports: the version stamped into the sdk/v3 version package by
// scripts/install-pulumi (-ldflags "-X .../go/common/version.Version=v3.X.Y"), i.e. the CLI's version.
func hostVersion() string {
	if v := strings.TrimPrefix(sdkversion.Version, "v"); v != "" {
		return v
	}
	return "0.0.0-dev"
}

const (
	// execScriptName is the Python script that sets up the Pulumi runtime and runs the program with runpy.
	execScriptName = "pulumi-language-python-exec"
	// exitCodeUserError is what the exec script exits with after it has already reported an error to the user.
	exitCodeUserError = 32
	// engineHealthInterval is how often the host checks that the engine is still alive.
	engineHealthInterval = 30 * time.Second
)

func main() {
	flags := flag.NewFlagSet("pulumi-language-python", flag.ContinueOnError)
	tracing := flags.String("tracing", "", "Zipkin-compatible tracing endpoint, passed on to the program")
	_ = flags.String("root", "", "project root directory (ignored; the engine sends it with every request)")
	_ = flags.String("binary", "", "not supported; accepted for compatibility")
	if err := flags.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if flags.NArg() < 1 {
		fmt.Fprintln(os.Stderr, "pulumi-language-python: missing the engine's RPC address argument")
		os.Exit(2)
	}
	engineAddress := flags.Arg(0)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// Stop when the engine goes away (it normally kills us, but a crashed engine must not leave us behind).
	if err := rpcutil.Healthcheck(ctx, engineAddress, engineHealthInterval, cancel); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-python: could not connect to the engine at %s: %v\n", engineAddress, err)
		os.Exit(1)
	}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-signals:
			cancel()
		case <-ctx.Done():
		}
	}()

	host := newLanguageHost(engineAddress, *tracing)
	stop := make(chan bool)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stop,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-python: could not start the gRPC server: %v\n", err)
		os.Exit(1)
	}
	// The engine reads the port from the first line of stdout.
	fmt.Printf("%d\n", handle.Port)

	select {
	case err := <-handle.Done:
		host.killChildren()
		if err != nil {
			fmt.Fprintf(os.Stderr, "pulumi-language-python: %v\n", err)
			os.Exit(1)
		}
	case <-ctx.Done():
		host.killChildren()
		close(stop)
		<-handle.Done
	}
}

type languageHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	engineAddress string
	tracing       string

	mu       sync.Mutex
	children map[*exec.Cmd]struct{}
}

func newLanguageHost(engineAddress, tracing string) *languageHost {
	return &languageHost{
		engineAddress: engineAddress,
		tracing:       tracing,
		children:      map[*exec.Cmd]struct{}{},
	}
}

// project describes where a program lives and which Python runs it.
type project struct {
	rootDir    string // directory of Pulumi.yaml
	programDir string // directory of the program
	entryPoint string // path of the program, relative to programDir ("." for the directory itself)
	virtualenv string // absolute path of the virtualenv, or "" when none is configured
}

// resolveProject reads the ProgramInfo the engine sends (falling back to the deprecated pwd/program fields).
func resolveProject(info *pulumirpc.ProgramInfo, pwd, program string) (project, error) {
	p := project{
		rootDir:    info.GetRootDirectory(),
		programDir: info.GetProgramDirectory(),
		entryPoint: info.GetEntryPoint(),
	}
	if p.programDir == "" {
		p.programDir = pwd
	}
	if p.entryPoint == "" {
		p.entryPoint = program
	}
	if p.entryPoint == "" {
		p.entryPoint = "."
	}
	if p.rootDir == "" {
		p.rootDir = p.programDir
	}

	options := info.GetOptions().AsMap()
	if toolchain, ok := options["toolchain"].(string); ok && toolchain != "" && toolchain != "pip" {
		return p, fmt.Errorf("runtime option toolchain=%q is not supported by this project's language host "+
			"(tools/pulumi-language-python); use toolchain: pip with a virtualenv", toolchain)
	}
	if venv, ok := options["virtualenv"].(string); ok && venv != "" {
		if !filepath.IsAbs(venv) {
			venv = filepath.Join(p.rootDir, venv)
		}
		p.virtualenv = filepath.Clean(venv)
	}
	return p, nil
}

// python returns the interpreter to use and the environment changes that go with it.
func (p project) python() (string, []string, error) {
	if p.virtualenv != "" {
		exe := filepath.Join(p.virtualenv, "bin", "python")
		if _, err := os.Stat(exe); err != nil {
			return "", nil, fmt.Errorf("the 'virtualenv' option in Pulumi.yaml is set to %q, but %s does not exist; "+
				"create it with `python3 -m venv %s` and install requirements.txt into it (or run `pulumi install`)",
				p.virtualenv, exe, p.virtualenv)
		}
		env := []string{
			"VIRTUAL_ENV=" + p.virtualenv,
			"PATH=" + filepath.Join(p.virtualenv, "bin") + string(os.PathListSeparator) + os.Getenv("PATH"),
		}
		return exe, env, nil
	}
	cmd := os.Getenv("PULUMI_PYTHON_CMD")
	if cmd == "" {
		cmd = "python3"
	}
	exe, err := exec.LookPath(cmd)
	if err != nil && os.Getenv("PULUMI_PYTHON_CMD") == "" {
		exe, err = exec.LookPath("python")
	}
	if err != nil {
		return "", nil, fmt.Errorf("no Python interpreter found (looked for %s on PATH): %w", cmd, err)
	}
	return exe, nil, nil
}

// mergeEnv returns the host's environment with the given KEY=VALUE entries replacing or adding variables, and
// the named variables removed.
func mergeEnv(set []string, unset ...string) []string {
	drop := map[string]bool{}
	for _, k := range unset {
		drop[k] = true
	}
	for _, kv := range set {
		drop[kv[:strings.IndexByte(kv, '=')]] = true
	}
	var env []string
	for _, kv := range os.Environ() {
		if i := strings.IndexByte(kv, '='); i > 0 && drop[kv[:i]] {
			continue
		}
		env = append(env, kv)
	}
	return append(env, set...)
}

// execScript finds pulumi-language-python-exec: next to this binary (where scripts/install-pulumi puts it),
// else on PATH.
func execScript() (string, error) {
	if self, err := os.Executable(); err == nil {
		if resolved, err := filepath.EvalSymlinks(self); err == nil {
			self = resolved
		}
		candidate := filepath.Join(filepath.Dir(self), execScriptName)
		if _, err := os.Stat(candidate); err == nil {
			return candidate, nil
		}
	}
	if path, err := exec.LookPath(execScriptName); err == nil {
		return path, nil
	}
	return "", fmt.Errorf("could not find %s next to the language host or on PATH; run scripts/install-pulumi",
		execScriptName)
}

func (h *languageHost) track(cmd *exec.Cmd) func() {
	h.mu.Lock()
	h.children[cmd] = struct{}{}
	h.mu.Unlock()
	return func() {
		h.mu.Lock()
		delete(h.children, cmd)
		h.mu.Unlock()
	}
}

func (h *languageHost) signalChildren(sig os.Signal) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for cmd := range h.children {
		if cmd.Process != nil {
			_ = cmd.Process.Signal(sig)
		}
	}
}

func (h *languageHost) killChildren() { h.signalChildren(os.Kill) }

func (h *languageHost) Handshake(
	ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if addr := req.GetEngineAddress(); addr != "" {
		h.engineAddress = addr
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *languageHost) GetPluginInfo(ctx context.Context, _ *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: hostVersion()}, nil
}

func (h *languageHost) GetRequiredPlugins(
	ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *languageHost) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *languageHost) RuntimeOptionsPrompts(
	ctx context.Context, req *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *languageHost) Cancel(ctx context.Context, _ *emptypb.Empty) (*emptypb.Empty, error) {
	h.signalChildren(os.Interrupt)
	return &emptypb.Empty{}, nil
}

// runArgs builds the exec script's command line (see its argparse section).
func (h *languageHost) runArgs(req *pulumirpc.RunRequest, p project, script string) []string {
	args := []string{"-u", script,
		"--monitor", req.GetMonitorAddress(),
		"--engine", h.engineAddress,
		"--project", req.GetProject(),
		"--stack", req.GetStack(),
		"--pwd", req.GetPwd(),
		"--dry_run", strconv.FormatBool(req.GetDryRun()),
		"--parallel", strconv.Itoa(int(req.GetParallel())),
		"--root_directory", p.rootDir,
	}
	if org := req.GetOrganization(); org != "" {
		args = append(args, "--organization", org)
	}
	if h.tracing != "" {
		args = append(args, "--tracing", h.tracing)
	}
	program := p.programDir
	if p.entryPoint != "." {
		program = filepath.Join(p.programDir, p.entryPoint)
	}
	args = append(args, program)
	return append(args, req.GetArgs()...)
}

// runEnv is the environment the program sees: the host's own, the virtualenv, and the stack's configuration.
func runEnv(req *pulumirpc.RunRequest, venvEnv []string) ([]string, error) {
	config := req.GetConfig()
	if config == nil {
		config = map[string]string{}
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	secretKeys := append([]string{}, req.GetConfigSecretKeys()...)
	sort.Strings(secretKeys)
	secretKeysJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	set := append([]string{
		"PULUMI_CONFIG=" + string(configJSON),
		"PULUMI_CONFIG_SECRET_KEYS=" + string(secretKeysJSON),
		"PULUMI_PROJECT=" + req.GetProject(),
		"PULUMI_STACK=" + req.GetStack(),
		"PULUMI_DRY_RUN=" + strconv.FormatBool(req.GetDryRun()),
	}, venvEnv...)
	unset := []string{"PYTHONHOME", "PULUMI_ORGANIZATION"}
	if org := req.GetOrganization(); org != "" {
		set = append(set, "PULUMI_ORGANIZATION="+org)
	}
	return mergeEnv(set, unset...), nil
}

func (h *languageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	if req.GetAttachDebugger() {
		return &pulumirpc.RunResponse{Error: "this project's language host does not support --attach-debugger"}, nil
	}
	p, err := resolveProject(req.GetInfo(), req.GetPwd(), req.GetProgram()) //nolint:staticcheck
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	python, venvEnv, err := p.python()
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	script, err := execScript()
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	env, err := runEnv(req, venvEnv)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "encoding the stack config: %v", err)
	}

	cmd := exec.CommandContext(ctx, python, h.runArgs(req, p, script)...)
	cmd.Dir = req.GetPwd()
	if cmd.Dir == "" {
		cmd.Dir = p.programDir
	}
	cmd.Env = env
	// The engine forwards whatever this host writes to stdout/stderr to the user, so pass the program's through.
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	// If the engine abandons the request, ask the program to stop before killing it.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second

	if err := cmd.Start(); err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not start %s: %v", python, err)}, nil
	}
	untrack := h.track(cmd)
	err = cmd.Wait()
	untrack()
	return runResult(err), nil
}

// runResult maps the program's exit to the RunResponse the engine expects.
func runResult(err error) *pulumirpc.RunResponse {
	if err == nil {
		return &pulumirpc.RunResponse{}
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("the Python program was stopped by signal %v", ws.Signal())}
		}
		switch code := exitErr.ExitCode(); code {
		case exitCodeUserError:
			// The program already reported the error through the engine; halt without repeating it.
			return &pulumirpc.RunResponse{Bail: true}
		default:
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("the Python program exited with code %d", code)}
		}
	}
	return &pulumirpc.RunResponse{Error: fmt.Sprintf("running the Python program: %v", err)}
}

func (h *languageHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	p, err := resolveProject(req.GetInfo(), req.GetDirectory(), "") //nolint:staticcheck
	if err != nil {
		return err
	}
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	if p.virtualenv == "" {
		fmt.Fprintln(stdout, "No virtualenv configured in Pulumi.yaml; not installing anything.")
		return nil
	}
	if _, err := os.Stat(filepath.Join(p.virtualenv, "bin", "python")); err == nil {
		fmt.Fprintf(stdout, "The virtualenv %s exists; leaving it as it is.\n", p.virtualenv)
		return nil
	}

	base := os.Getenv("PULUMI_PYTHON_CMD")
	if base == "" {
		base = "python3"
	}
	run := func(name string, args ...string) error {
		fmt.Fprintf(stdout, "$ %s %s\n", name, strings.Join(args, " "))
		cmd := exec.CommandContext(server.Context(), name, args...)
		cmd.Dir = p.rootDir
		cmd.Stdout, cmd.Stderr = stdout, stderr
		cmd.Env = mergeEnv(nil, "PYTHONHOME", "VIRTUAL_ENV")
		return cmd.Run()
	}
	if err := run(base, "-m", "venv", p.virtualenv); err != nil {
		return fmt.Errorf("creating the virtualenv %s: %w", p.virtualenv, err)
	}
	requirements := filepath.Join(p.rootDir, "requirements.txt")
	if _, err := os.Stat(requirements); err != nil {
		fmt.Fprintf(stdout, "No %s; the virtualenv is empty.\n", requirements)
		return nil
	}
	venvPython := filepath.Join(p.virtualenv, "bin", "python")
	if err := run(venvPython, "-m", "pip", "install", "-r", requirements); err != nil {
		return fmt.Errorf("installing %s: %w", requirements, err)
	}
	return nil
}

// pythonOutput runs the project's Python with the given arguments and returns its stdout.
func pythonOutput(ctx context.Context, info *pulumirpc.ProgramInfo, pwd string, args ...string) (string, []byte, error) {
	p, err := resolveProject(info, pwd, "")
	if err != nil {
		return "", nil, err
	}
	python, venvEnv, err := p.python()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.CommandContext(ctx, python, args...)
	cmd.Dir = p.rootDir
	cmd.Env = mergeEnv(venvEnv, "PYTHONHOME")
	cmd.Stderr = io.Discard
	out, err := cmd.Output()
	return python, out, err
}

func (h *languageHost) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	python, out, err := pythonOutput(ctx, req.GetInfo(), "", "-c", "import platform; print(platform.python_version())")
	if err != nil {
		return nil, status.Errorf(codes.FailedPrecondition, "asking Python for its version: %v", err)
	}
	return &pulumirpc.AboutResponse{
		Executable: python,
		Version:    strings.TrimSpace(string(out)),
		Metadata:   map[string]string{"languageHost": "tools/pulumi-language-python " + hostVersion()},
	}, nil
}

func (h *languageHost) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	_, out, err := pythonOutput(ctx, req.GetInfo(), req.GetPwd(), //nolint:staticcheck
		"-m", "pip", "list", "--format=json", "--disable-pip-version-check")
	if err != nil {
		return nil, status.Errorf(codes.FailedPrecondition, "listing the Python packages with pip: %v", err)
	}
	var packages []struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	if err := json.Unmarshal(out, &packages); err != nil {
		return nil, status.Errorf(codes.Internal, "reading `pip list` output: %v", err)
	}
	resp := &pulumirpc.GetProgramDependenciesResponse{}
	for _, pkg := range packages {
		resp.Dependencies = append(resp.Dependencies, &pulumirpc.DependencyInfo{Name: pkg.Name, Version: pkg.Version})
	}
	return resp, nil
}
