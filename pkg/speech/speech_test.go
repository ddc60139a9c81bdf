package speech

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/webcall-cli/webcall/pkg/audio"
	"github.com/webcall-cli/webcall/pkg/failure"
)

// needSynth skips where espeak-ng is missing; the Makefile's deps install
// it, so CI runs these.
func needSynth(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath(synthBinary); err != nil {
		t.Skip("espeak-ng is not installed")
	}
}

// cacheFiles lists the folder's files, temporary ones included.
func cacheFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func checkSpeech(t *testing.T, c *audio.Clip, minDur, maxDur time.Duration) {
	t.Helper()
	if d := c.Duration(); d < minDur || d > maxDur {
		t.Errorf("lasts %v, want %v to %v", d, minDur, maxDur)
	}
	if r := audio.SpeechRatio(c.Samples); r < 0.4 {
		t.Errorf("speech in %.0f%% of frames, want most", 100*r)
	}
}

func TestSayCachesAndPlaysFromCacheWithoutSynth(t *testing.T) {
	needSynth(t)
	dir := t.TempDir()
	s := &Synth{CacheDir: dir}
	ctx := context.Background()
	first, err := s.Say(ctx, "Hello, a table for two, please.")
	if err != nil {
		t.Fatal(err)
	}
	checkSpeech(t, first, 1*time.Second, 4*time.Second)
	if first.SourceFormat != "pcm" || first.SourceRate != 22050 {
		t.Errorf("source %s at %d Hz, want espeak-ng's PCM at 22050 Hz", first.SourceFormat, first.SourceRate)
	}
	files := cacheFiles(t, dir)
	if want := cacheKey(s.version, DefaultVoice, "Hello, a table for two, please.") + ".wav"; !slices.Equal(files, []string{want}) {
		t.Fatalf("cache holds %v, want just %s", files, want)
	}

	// With espeak-ng out of reach (off PATH, and the path this Synth
	// found gone), the cached turn still plays: it runs nothing.
	empty := t.TempDir()
	t.Setenv("PATH", empty)
	s.binary = filepath.Join(empty, synthBinary)
	again, err := s.Say(ctx, "Hello, a table for two, please.")
	if err != nil {
		t.Fatalf("from the cache: %v", err)
	}
	if !slices.Equal(again.Samples, first.Samples) {
		t.Error("the cached turn differs from the synthesised one")
	}
	// But a new text needs espeak-ng.
	if _, err := s.Say(ctx, "Something new."); err == nil {
		t.Error("a new text was said without espeak-ng")
	}
}

func TestSayKeysOnVoiceAndText(t *testing.T) {
	needSynth(t)
	dir := t.TempDir()
	ctx := context.Background()
	us, err := (&Synth{CacheDir: dir}).Say(ctx, "Good evening.")
	if err != nil {
		t.Fatal(err)
	}
	gb, err := (&Synth{CacheDir: dir, Voice: "en-gb"}).Say(ctx, "Good evening.")
	if err != nil {
		t.Fatal(err)
	}
	other, err := (&Synth{CacheDir: dir}).Say(ctx, "Good morning.")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cacheFiles(t, dir)); n != 3 {
		t.Errorf("cache holds %d files, want 3 (two voices, two texts)", n)
	}
	if slices.Equal(us.Samples, gb.Samples) || slices.Equal(us.Samples, other.Samples) {
		t.Error("different voices or texts gave the same audio")
	}
}

// TestSayTextLikeAnOption checks that the text never reaches espeak-ng's
// options: said as an option, "-w /dev/null" would write elsewhere.
func TestSayTextLikeAnOption(t *testing.T) {
	needSynth(t)
	c, err := (&Synth{CacheDir: t.TempDir()}).Say(context.Background(), "-w /dev/null --help, this is what I say")
	if err != nil {
		t.Fatal(err)
	}
	checkSpeech(t, c, 1500*time.Millisecond, 8*time.Second)
}

func TestSayReplacesDamagedCacheEntry(t *testing.T) {
	needSynth(t)
	dir := t.TempDir()
	s := &Synth{CacheDir: dir}
	ctx := context.Background()
	want, err := s.Say(ctx, "Thank you.")
	if err != nil {
		t.Fatal(err)
	}
	entry := filepath.Join(dir, cacheKey(s.version, DefaultVoice, "Thank you.")+".wav")
	if err := os.WriteFile(entry, []byte("RIFF\x00"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := s.Say(ctx, "Thank you.")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Samples, want.Samples) {
		t.Error("the damaged entry was not synthesised again")
	}
	if _, err := audio.LoadFile(entry); err != nil {
		t.Errorf("the entry is still damaged: %v", err)
	}
}

func TestSayWithoutSynth(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := (&Synth{CacheDir: t.TempDir()}).Say(context.Background(), "Hello.")
	if !errors.Is(err, ErrNoSynth) {
		t.Fatalf("error %v, want ErrNoSynth", err)
	}
	if k := failure.KindOf(err); k != failure.Usage {
		t.Errorf("kind %v, want usage", k)
	}
	if !strings.Contains(err.Error(), "espeak-ng is not installed") {
		t.Errorf("message %q", err)
	}
	h := failure.HintOf(err)
	for _, w := range []string{"sudo apt-get install espeak-ng", "audio file", "say:"} {
		if !strings.Contains(h, w) {
			t.Errorf("hint %q does not say %q", h, w)
		}
	}
}

func TestSayEmptyText(t *testing.T) {
	for _, text := range []string{"", " \n\t"} {
		_, err := (&Synth{CacheDir: t.TempDir()}).Say(context.Background(), text)
		if !errors.Is(err, ErrEmptyText) || failure.KindOf(err) != failure.Input {
			t.Errorf("Say(%q): %v (%v), want an input error ErrEmptyText", text, err, failure.KindOf(err))
		}
	}
}

func TestSayUnknownVoice(t *testing.T) {
	needSynth(t)
	for _, voice := range []string{"xx-nosuchvoice", "-w", "en us"} {
		dir := t.TempDir()
		_, err := (&Synth{CacheDir: dir, Voice: voice}).Say(context.Background(), "Hello.")
		if !errors.Is(err, ErrUnknownVoice) || failure.KindOf(err) != failure.Usage {
			t.Errorf("voice %q: %v (%v), want a usage error ErrUnknownVoice", voice, err, failure.KindOf(err))
			continue
		}
		if !strings.Contains(err.Error(), voice) || !strings.Contains(failure.HintOf(err), "voices espeak-ng lists") {
			t.Errorf("voice %q: message %q, hint %q", voice, err, failure.HintOf(err))
		}
		if files := cacheFiles(t, dir); len(files) != 0 {
			t.Errorf("voice %q: left %v in the cache", voice, files)
		}
	}
}

func TestSayCancelled(t *testing.T) {
	needSynth(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := (&Synth{CacheDir: t.TempDir()}).Say(ctx, "Hello.")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

func TestDefaultCacheDir(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CACHE_HOME", "")
	dir, cached := (&Synth{}).cacheDir()
	want, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	if !cached || dir != filepath.Join(want, "webcall", "speech") || !strings.HasPrefix(dir, home) {
		t.Errorf("cache dir %q (cached %v), want under %s", dir, cached, want)
	}
}
