// Package vttcheck reads a WebVTT file strictly, for tests: it fails on
// anything the WebVTT rules (W3C WebVTT, "file structure" and "cue text")
// forbid, and on what webcall's captions promise on top of them, and
// returns the cues it found.
//
// Checked: the "WEBVTT" signature line (after an optional BOM); blocks
// separated by blank lines; each cue an optional identifier (unique, no
// "-->") then a timing line "start --> end" with timestamps
// [hh:]mm:ss.mmm (minutes and seconds below 60), the end after the start,
// cue starts never decreasing; a payload of non-empty lines without "-->";
// in the payload every "&" starts a character reference and every "<" a
// known tag with a matching close, and no bare ">". NOTE blocks are
// allowed between cues. With RequireVoice, every cue's payload opens with
// a voice span "<v NAME>".
package vttcheck

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Cue is one cue as read.
type Cue struct {
	ID         string
	Start, End time.Duration
	// Voice is the annotation of the payload's opening <v> span, if any.
	Voice string
	// Text is the payload with tags removed and references resolved.
	Text string
	// Line is the cue's timing line's number, from 1.
	Line int
}

// Options say what more than the WebVTT rules to require.
type Options struct {
	RequireVoice bool
}

var (
	timestamp  = `(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})`
	timingLine = regexp.MustCompile(`^` + timestamp + `[ \t]+-->[ \t]+` + timestamp + `(?:[ \t].*)?$`)
	entity     = regexp.MustCompile(`^&(?:amp|lt|gt|nbsp|lrm|rlm|#\d+|#[xX][0-9a-fA-F]+);`)
	openTag    = regexp.MustCompile(`^<(c|i|b|u|v|lang|ruby|rt)((?:\.[^\s.<>&]+)*)(?:[ \t]([^<>]*))?>`)
	closeTag   = regexp.MustCompile(`^</(c|i|b|u|v|lang|ruby|rt)>`)
	innerTime  = regexp.MustCompile(`^<` + timestamp + `>`)
)

// Parse checks data and returns its cues.
func Parse(data string, o Options) ([]Cue, error) {
	data = strings.TrimPrefix(data, "\uFEFF")
	data = strings.ReplaceAll(data, "\r\n", "\n")
	if strings.ContainsRune(data, '\r') || strings.ContainsRune(data, 0) {
		return nil, errors.New("a lone CR or a NUL in the file")
	}
	lines := strings.Split(data, "\n")
	if len(lines) == 0 || !(lines[0] == "WEBVTT" || strings.HasPrefix(lines[0], "WEBVTT ") || strings.HasPrefix(lines[0], "WEBVTT\t")) {
		return nil, fmt.Errorf("line 1 is %q, want the signature WEBVTT", first(lines))
	}
	i := 1
	// The rest of the header block, up to the first blank line.
	for i < len(lines) && lines[i] != "" {
		if strings.Contains(lines[i], "-->") {
			return nil, fmt.Errorf("line %d: a cue in the header: a blank line must follow the signature", i+1)
		}
		i++
	}
	var cues []Cue
	ids := map[string]bool{}
	for {
		for i < len(lines) && lines[i] == "" {
			i++
		}
		if i >= len(lines) {
			return cues, nil
		}
		start := i
		for i < len(lines) && lines[i] != "" {
			i++
		}
		block := lines[start:i]
		if strings.HasPrefix(block[0], "NOTE") && (len(block[0]) == 4 || block[0][4] == ' ' || block[0][4] == '\t') {
			for k, l := range block {
				if strings.Contains(l, "-->") {
					return nil, fmt.Errorf("line %d: \"-->\" in a NOTE", start+k+1)
				}
			}
			continue
		}
		c, err := cue(block, start+1, o)
		if err != nil {
			return nil, err
		}
		if c.ID != "" {
			if ids[c.ID] {
				return nil, fmt.Errorf("line %d: cue identifier %q used twice", start+1, c.ID)
			}
			ids[c.ID] = true
		}
		if n := len(cues); n > 0 && c.Start < cues[n-1].Start {
			return nil, fmt.Errorf("line %d: cue starts at %s, before the previous cue's start %s", c.Line, c.Start, cues[n-1].Start)
		}
		cues = append(cues, c)
	}
}

func first(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return lines[0]
}

// cue reads one cue block whose first line is line number n.
func cue(block []string, n int, o Options) (Cue, error) {
	var c Cue
	t := 0
	if !strings.Contains(block[0], "-->") {
		c.ID = block[0]
		t = 1
	}
	if t >= len(block) {
		return c, fmt.Errorf("line %d: a block with no timing line (a cue needs \"start --> end\")", n)
	}
	c.Line = n + t
	m := timingLine.FindStringSubmatch(block[t])
	if m == nil {
		return c, fmt.Errorf("line %d: %q is not a cue timing line hh:mm:ss.mmm --> hh:mm:ss.mmm", c.Line, block[t])
	}
	c.Start, c.End = stamp(m[1:5]), stamp(m[5:9])
	if c.End <= c.Start {
		return c, fmt.Errorf("line %d: the cue ends (%s) no later than it starts (%s)", c.Line, c.End, c.Start)
	}
	payload := block[t+1:]
	if len(payload) == 0 {
		return c, fmt.Errorf("line %d: a cue without text", c.Line)
	}
	var text []string
	for k, l := range payload {
		if strings.Contains(l, "-->") {
			return c, fmt.Errorf("line %d: \"-->\" in a cue's text", c.Line+1+k)
		}
		plain, voice, err := cueText(l)
		if err != nil {
			return c, fmt.Errorf("line %d: %v", c.Line+1+k, err)
		}
		if k == 0 {
			c.Voice = voice
		}
		text = append(text, plain)
	}
	if o.RequireVoice && (c.Voice == "" || !strings.HasPrefix(payload[0], "<v")) {
		return c, fmt.Errorf("line %d: the cue's text does not open with a voice span <v NAME>", c.Line+1)
	}
	c.Text = strings.Join(text, "\n")
	return c, nil
}

func stamp(m []string) time.Duration {
	n := func(s string) time.Duration {
		v, _ := strconv.Atoi(s)
		return time.Duration(v)
	}
	return n(m[0])*time.Hour + n(m[1])*time.Minute + n(m[2])*time.Second + n(m[3])*time.Millisecond
}

// cueText checks one line of cue text and returns it as plain text, with
// the annotation of its first voice span.
func cueText(l string) (plain, voice string, err error) {
	var b strings.Builder
	var open []string
	for len(l) > 0 {
		switch l[0] {
		case '&':
			m := entity.FindString(l)
			if m == "" {
				return "", "", fmt.Errorf("a bare & (write &amp;) in %q", l)
			}
			b.WriteString(unescape(m))
			l = l[len(m):]
		case '>':
			return "", "", fmt.Errorf("a bare > (write &gt;) in %q", l)
		case '<':
			if m := closeTag.FindStringSubmatch(l); m != nil {
				if len(open) == 0 || open[len(open)-1] != m[1] {
					return "", "", fmt.Errorf("</%s> closes no open <%s>", m[1], m[1])
				}
				open = open[:len(open)-1]
				l = l[len(m[0]):]
				continue
			}
			if m := innerTime.FindString(l); m != "" {
				l = l[len(m):]
				continue
			}
			m := openTag.FindStringSubmatch(l)
			if m == nil {
				return "", "", fmt.Errorf("a < that starts no known tag (write &lt;) in %q", l)
			}
			if m[1] == "v" {
				if strings.TrimSpace(m[3]) == "" {
					return "", "", errors.New("a voice span <v> without a name")
				}
				if voice == "" {
					voice = unescapeAll(m[3])
				}
			}
			open = append(open, m[1])
			l = l[len(m[0]):]
		default:
			k := strings.IndexAny(l, "&<>")
			if k < 0 {
				k = len(l)
			}
			b.WriteString(l[:k])
			l = l[k:]
		}
	}
	// Spans left open are closed by the end of the cue: allowed for <v>
	// (the usual "<v Name>text"), a mistake for the others.
	for _, t := range open {
		if t != "v" {
			return "", "", fmt.Errorf("<%s> is never closed", t)
		}
	}
	return b.String(), voice, nil
}

func unescape(ref string) string {
	switch ref {
	case "&amp;":
		return "&"
	case "&lt;":
		return "<"
	case "&gt;":
		return ">"
	case "&nbsp;":
		return "\u00a0"
	case "&lrm;":
		return "\u200e"
	case "&rlm;":
		return "\u200f"
	}
	num := strings.TrimSuffix(strings.TrimPrefix(ref, "&#"), ";")
	base := 10
	if strings.HasPrefix(num, "x") || strings.HasPrefix(num, "X") {
		num, base = num[1:], 16
	}
	v, err := strconv.ParseInt(num, base, 32)
	if err != nil {
		return "\uFFFD"
	}
	return string(rune(v))
}

func unescapeAll(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		if m := entity.FindString(s); m != "" {
			b.WriteString(unescape(m))
			s = s[len(m):]
			continue
		}
		b.WriteByte(s[0])
		s = s[1:]
	}
	return b.String()
}
