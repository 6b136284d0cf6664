package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// findModule resolves a package path such as "@pulumi/pulumi/cmd/run" the way
// Node does for a plain require() from dir: look in dir/node_modules, then in
// each parent's node_modules. (NODE_PATH and global folders are ignored; the
// SDK is always a local dependency.)
func findModule(dir, module string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		candidate := filepath.Join(d, "node_modules", filepath.FromSlash(module))
		if _, err := os.Stat(candidate); err == nil {
			return candidate, nil
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return "", fmt.Errorf("could not find %s from %s; it looks like the Pulumi SDK has not been "+
		"installed: run `npm install` (it provides @pulumi/pulumi)", module, dir)
}

// pluginInfo is the shape of both pulumi-plugin.json and the "pulumi" block
// of a package.json: it marks an npm package as the SDK of a resource
// provider plugin.
type pluginInfo struct {
	Resource         bool   `json:"resource"`
	Name             string `json:"name"`
	Version          string `json:"version"`
	Server           string `json:"server"`
	Parameterization *struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		Value   string `json:"value"` // base64
	} `json:"parameterization"`
}

type packageJSON struct {
	Name                 string            `json:"name"`
	Version              string            `json:"version"`
	Pulumi               pluginInfo        `json:"pulumi"`
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
}

// requiredPackages lists the provider plugins the program's installed npm
// packages declare (e.g. @pulumi/aws -> resource plugin "aws" 7.x), so the
// engine can install them before running the program. Dynamic providers
// (pulumi.dynamic) need nothing here: they run in the bundled
// pulumi-resource-pulumi-nodejs provider.
func requiredPackages(programDir string) ([]*pulumirpc.PackageDependency, error) {
	nodeModules, err := nearestNodeModules(programDir)
	if err != nil || nodeModules == "" {
		return nil, err
	}
	found := map[string]*pulumirpc.PackageDependency{}
	visited := map[string]bool{}
	if err := scanNodeModules(nodeModules, found, visited); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(found))
	for k := range found {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	deps := make([]*pulumirpc.PackageDependency, 0, len(keys))
	for _, k := range keys {
		deps = append(deps, found[k])
	}
	return deps, nil
}

func nearestNodeModules(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		nm := filepath.Join(d, "node_modules")
		if st, err := os.Stat(nm); err == nil && st.IsDir() {
			return nm, nil
		} else if err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		if filepath.Dir(d) == d {
			return "", nil
		}
	}
}

// scanNodeModules visits every package in a node_modules directory (including
// @scope/name packages and nested node_modules). os.Stat follows symlinks, as
// npm workspaces and pnpm use them; visited guards against cycles.
func scanNodeModules(nm string, found map[string]*pulumirpc.PackageDependency, visited map[string]bool) error {
	real, err := filepath.EvalSymlinks(nm)
	if err != nil || visited[real] {
		return nil //nolint:nilerr // a dangling link is not our problem
	}
	visited[real] = true

	entries, err := os.ReadDir(nm)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue // .bin, .package-lock.json, ...
		}
		p := filepath.Join(nm, name)
		if !strings.HasPrefix(name, "@") {
			if err := visitPackage(p, found, visited); err != nil {
				return err
			}
			continue
		}
		scoped, err := os.ReadDir(p)
		if err != nil {
			continue
		}
		for _, s := range scoped {
			if err := visitPackage(filepath.Join(p, s.Name()), found, visited); err != nil {
				return err
			}
		}
	}
	return nil
}

func visitPackage(dir string, found map[string]*pulumirpc.PackageDependency, visited map[string]bool) error {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil //nolint:nilerr // stray files and dangling links are skipped
	}
	var pkg packageJSON
	if b, err := os.ReadFile(filepath.Join(dir, "package.json")); err == nil {
		if json.Unmarshal(b, &pkg) != nil {
			pkg = packageJSON{} // tolerate odd manifests in third-party packages
		}
	}
	plugin := pkg.Pulumi
	// Newer provider SDKs ship the same information in pulumi-plugin.json.
	if b, err := os.ReadFile(filepath.Join(dir, "pulumi-plugin.json")); err == nil {
		var fromFile pluginInfo
		if json.Unmarshal(b, &fromFile) == nil {
			plugin = fromFile
		}
	}
	if plugin.Resource {
		dep, err := toDependency(plugin, pkg)
		if err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
		key := dep.Name + "@" + dep.Version
		if dep.Parameterization != nil {
			key += "/" + dep.Parameterization.Name + "@" + dep.Parameterization.Version
		}
		found[key] = dep
	}

	nested := filepath.Join(dir, "node_modules")
	if st, err := os.Stat(nested); err == nil && st.IsDir() {
		return scanNodeModules(nested, found, visited)
	}
	return nil
}

func toDependency(p pluginInfo, pkg packageJSON) (*pulumirpc.PackageDependency, error) {
	name := p.Name
	if name == "" {
		// "@pulumi/aws" -> "aws", "@acme/foo" -> "acme/foo"
		name = strings.TrimPrefix(strings.TrimPrefix(pkg.Name, "@pulumi/"), "@")
	}
	version := p.Version
	if version == "" {
		version = pkg.Version
	}
	if name == "" || version == "" {
		return nil, errors.New("provider package without a name or version")
	}
	dep := &pulumirpc.PackageDependency{
		Name:    name,
		Kind:    "resource",
		Version: "v" + strings.TrimPrefix(version, "v"),
		Server:  p.Server,
	}
	if pp := p.Parameterization; pp != nil {
		value, err := base64.StdEncoding.DecodeString(pp.Value)
		if err != nil {
			return nil, fmt.Errorf("parameterization value is not base64: %w", err)
		}
		dep.Parameterization = &pulumirpc.PackageParameterization{
			Name: pp.Name, Version: strings.TrimPrefix(pp.Version, "v"), Value: value,
		}
	}
	return dep, nil
}

// programDependencies lists the direct dependencies from the nearest
// package.json, with the installed version when node_modules has one.
func programDependencies(programDir string) ([]*pulumirpc.DependencyInfo, error) {
	var manifestDir string
	for d := programDir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "package.json")); err == nil {
			manifestDir = d
			break
		}
		if filepath.Dir(d) == d {
			return nil, nil
		}
	}
	b, err := os.ReadFile(filepath.Join(manifestDir, "package.json"))
	if err != nil {
		return nil, err
	}
	var pkg packageJSON
	if err := json.Unmarshal(b, &pkg); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", filepath.Join(manifestDir, "package.json"), err)
	}
	wanted := map[string]string{}
	for _, m := range []map[string]string{pkg.OptionalDependencies, pkg.DevDependencies, pkg.Dependencies} {
		for k, v := range m {
			wanted[k] = v
		}
	}
	names := make([]string, 0, len(wanted))
	for k := range wanted {
		names = append(names, k)
	}
	sort.Strings(names)

	deps := make([]*pulumirpc.DependencyInfo, 0, len(names))
	for _, name := range names {
		version := wanted[name] // the range, if it is not installed
		if dir, err := findModule(manifestDir, name); err == nil {
			var installed packageJSON
			if b, err := os.ReadFile(filepath.Join(dir, "package.json")); err == nil &&
				json.Unmarshal(b, &installed) == nil && installed.Version != "" {
				version = installed.Version
			}
		}
		deps = append(deps, &pulumirpc.DependencyInfo{Name: name, Version: version})
	}
	return deps, nil
}
