package main

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// The Kubernetes Job in deploy/ runs as many pods as it has shards, and
// its arguments are flags webcall test takes.
func TestKubernetesJobManifest(t *testing.T) {
	b, err := os.ReadFile("../../deploy/kubernetes/webcall-test-job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var job struct {
		Spec struct {
			CompletionMode string `yaml:"completionMode"`
			Completions    int    `yaml:"completions"`
			Parallelism    int    `yaml:"parallelism"`
			Template       struct {
				Spec struct {
					Containers []struct {
						Args []string `yaml:"args"`
					} `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(b, &job); err != nil {
		t.Fatalf("the manifest does not parse: %v", err)
	}
	s := job.Spec
	if s.CompletionMode != "Indexed" || s.Completions != s.Parallelism || len(s.Template.Spec.Containers) != 1 {
		t.Fatalf("job spec %+v", s)
	}
	args := s.Template.Spec.Containers[0].Args
	if len(args) == 0 || args[0] != "test" {
		t.Fatalf("args %q", args)
	}
	cmd := newTestCmd(&streams{})
	if err := cmd.ParseFlags(args[1:]); err != nil {
		t.Fatalf("webcall test refuses the manifest's flags: %v", err)
	}
	shard := cmd.Flags().Lookup("shard").Value.String()
	if shard != strconv.Itoa(s.Completions) {
		t.Errorf("--shard=%s but %d completions: every pod must take its own part", shard, s.Completions)
	}
	if !strings.Contains(strings.Join(args, " "), "$(JOB_COMPLETION_INDEX)") {
		t.Error("the pods' reports are not named by their index, so they would overwrite each other")
	}
}
