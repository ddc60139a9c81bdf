package report

import "fmt"

// Summary is what a report adds up to. It is derived data: see
// Report.Summary.
type Summary struct {
	Verdict   Verdict    `json:"verdict"`
	Totals    Totals     `json:"totals"`
	Latencies Aggregates `json:"latencies"`
}

// Totals counts calls and turns by verdict. The greeting counts as a turn
// when the call has one, since it is judged like one.
type Totals struct {
	Calls        int `json:"calls"`
	CallsPassed  int `json:"calls_passed"`
	CallsFailed  int `json:"calls_failed"`
	CallsErrored int `json:"calls_errored"`
	Turns        int `json:"turns"`
	TurnsPassed  int `json:"turns_passed"`
	TurnsFailed  int `json:"turns_failed"`
	TurnsSkipped int `json:"turns_skipped"`
}

// Summarize computes the report's Summary from its calls.
func (r *Report) Summarize() *Summary {
	return &Summary{Verdict: r.Verdict(), Totals: r.Totals(), Latencies: r.Latencies()}
}

// Verdict is the outcome of the whole report: Fail when any check of any
// call failed, else Error when any call could not run or be judged, else
// Pass (a report without calls passes: a shard may get no work).
//
// Fail wins over Error because CI must tell "the agent regressed" from
// "the test could not run": a regression seen in one call is a fact about
// the agent that a broken connection in another call does not undo, while
// an Error alone says nothing about the agent and is usually retried.
func (r *Report) Verdict() Verdict {
	v := Pass
	for i := range r.Calls {
		switch r.Calls[i].Outcome() {
		case Fail:
			return Fail
		case Error:
			v = Error
		}
	}
	return v
}

// FirstError is the failure of the first call (in Index order) whose
// outcome is Error, or nil when there is none; its Code is the exit code
// for a run whose verdict is Error. A call marked as an error without a
// reason is reported as an internal failure rather than hidden.
func (r *Report) FirstError() *Failure {
	for i := range r.Calls {
		c := &r.Calls[i]
		if c.Outcome() != Error {
			continue
		}
		if c.Error != nil {
			f := *c.Error
			return &f
		}
		return &Failure{
			Kind:    "internal",
			Code:    1,
			Message: fmt.Sprintf("call %d (%s) ended in error without a reason", c.Index, c.Scenario),
		}
	}
	return nil
}

// Totals counts the calls and turns of the report by outcome.
func (r *Report) Totals() Totals {
	var t Totals
	for i := range r.Calls {
		c := &r.Calls[i]
		t.Calls++
		switch c.Outcome() {
		case Pass:
			t.CallsPassed++
		case Fail:
			t.CallsFailed++
		case Error:
			t.CallsErrored++
		}
		c.eachTurn(func(tu *Turn) {
			t.Turns++
			switch tu.Outcome() {
			case Pass:
				t.TurnsPassed++
			case Fail:
				t.TurnsFailed++
			case Skipped:
				t.TurnsSkipped++
			}
		})
	}
	return t
}

// Outcome is the call's verdict as the reports count it. A failed check
// anywhere in the call makes it Fail whatever Verdict says, so that a call
// which regressed and then lost its connection still counts as a
// regression; otherwise an Error verdict or an Error reason makes it Error.
func (c *Call) Outcome() Verdict {
	failed := false
	c.eachTurn(func(t *Turn) {
		if t.Outcome() == Fail {
			failed = true
		}
	})
	if failed || c.Verdict == Fail || anyFailed(c.Checks) {
		return Fail
	}
	if c.Verdict == Error || c.Error != nil {
		return Error
	}
	return Pass
}

// Outcome is the turn's verdict, made Fail by any failed check even when
// Verdict says otherwise; an empty Verdict counts as Pass.
func (t *Turn) Outcome() Verdict {
	if t.Verdict == Fail || anyFailed(t.Checks) {
		return Fail
	}
	if t.Verdict == "" {
		return Pass
	}
	return t.Verdict
}

// eachTurn calls f with the greeting, if any, then each turn.
func (c *Call) eachTurn(f func(*Turn)) {
	if c.Greeting != nil {
		f(c.Greeting)
	}
	for i := range c.Turns {
		f(&c.Turns[i])
	}
}

func anyFailed(checks []Check) bool {
	for _, ch := range checks {
		if !ch.Passed {
			return true
		}
	}
	return false
}

// failedChecks are the checks that did not pass, in order.
func failedChecks(checks []Check) []Check {
	var out []Check
	for _, ch := range checks {
		if !ch.Passed {
			out = append(out, ch)
		}
	}
	return out
}
