package report

import "time"

func ms(v int64) *int64 { return &v }

// passingCall is a call of two turns and a greeting, all passed.
func passingCall(index int, scenario, file string) Call {
	return Call{
		Index: index, Scenario: scenario, File: file, Line: 1,
		Room: "room-" + scenario, Identity: "webcall", Verdict: Pass,
		DurationMS: 9000, ConnectMS: ms(310), AgentJoinMS: ms(900),
		Pacing: Pacing{Frames: 400, LateP50US: 120, LateP99US: 900, LateMaxUS: 2100},
		Greeting: &Turn{
			Index: -1, Name: "greeting", Kind: "greeting", Verdict: Pass,
			Reply:   "Hello, this is Acme support. How can I help?",
			StartMS: 0, ReplyStartMS: ms(1200), ReplyEndMS: ms(3100),
			Latency: Latency{AudioMS: ms(1200)},
			Checks:  []Check{{Name: "replied", Line: 4, Passed: true, Expected: "a reply", Actual: "a reply"}},
		},
		Turns: []Turn{
			{
				Index: 0, Name: "order status", Kind: "say", Line: 6, Verdict: Pass,
				Said: "where is my order", Heard: "where is my order",
				Reply:   "Your order shipped yesterday.",
				StartMS: 3200, SpeechEndMS: ms(4400), ReplyStartMS: ms(5220), ReplyEndMS: ms(6900),
				Latency: Latency{AudioMS: ms(820), CaptionMS: ms(600), ThinkingMS: ms(200), SpeakingMS: ms(790), LongestGapMS: ms(150)},
				Checks:  []Check{{Name: "contains", Line: 8, Passed: true, Expected: `contains "shipped"`, Actual: "Your order shipped yesterday."}},
			},
			{
				Index: 1, Name: "thanks", Kind: "chat", Line: 10, Verdict: Pass,
				Said: "thanks", Reply: "You're welcome!",
				StartMS: 7000, SpeechEndMS: ms(7000), ReplyStartMS: ms(7640), ReplyEndMS: ms(8500),
				Latency: Latency{AudioMS: ms(640), CaptionMS: ms(500)},
			},
		},
		Checks:      []Check{{Name: "deadline", Line: 2, Passed: true, Expected: "≤ 30s", Actual: "9s"}},
		AgentStates: []string{"listening", "thinking", "speaking"},
		AgentTurns:  3,
	}
}

// failingCall has a turn whose reply misses the expected text and comes
// too late, with texts long enough to be truncated.
func failingCall(index int) Call {
	c := passingCall(index, "refund", "scenarios/refund.yaml")
	c.Verdict = Fail
	c.Turns[0] = Turn{
		Index: 0, Name: "ask for a refund", Kind: "say", Line: 7, Verdict: Fail,
		Said:    "I would like a refund for the blue kettle I bought last week",
		Heard:   "I would like a refund for the blue cattle I bought last week",
		Reply:   "I am sorry to hear that. Unfortunately I can only help with orders placed in the last seven days, could you give me the order number so that I can look it up?",
		StartMS: 3200, SpeechEndMS: ms(6200), ReplyStartMS: ms(8630), ReplyEndMS: ms(15000),
		Latency: Latency{AudioMS: ms(2430), CaptionMS: ms(2100), ThinkingMS: ms(400), SpeakingMS: ms(2400), LongestGapMS: ms(700)},
		Checks: []Check{
			{Name: "contains", Line: 9, Passed: false, Expected: `contains "refund"`, Actual: "I am sorry to hear that. Unfortunately I can only help with orders placed in the last seven days, could you give me the order number so that I can look it up?"},
			{Name: "max_latency", Line: 10, Passed: false, Expected: "≤ 2s", Actual: "2.43s"},
			{Name: "heard", Line: 11, Passed: true, Expected: "heard /refund/", Actual: "I would like a refund for the blue cattle I bought last week"},
		},
	}
	c.Turns[1].StartMS = 15100
	c.Turns[1].SpeechEndMS = ms(15100)
	c.Turns[1].ReplyStartMS = ms(15800)
	c.Turns[1].ReplyEndMS = ms(16500)
	c.Turns[1].Latency = Latency{AudioMS: ms(700)}
	c.DurationMS = 17000
	c.Checks = append(c.Checks, Check{Name: "agent_turns", Line: 3, Passed: false, Expected: "2", Actual: "3"})
	return c
}

// erroredCall could not run: no agent came, so no turn was reached.
func erroredCall(index int) Call {
	return Call{
		Index: index, Scenario: "billing", File: "scenarios/billing.yaml", Line: 1,
		Verdict: Error, DurationMS: 15000, ConnectMS: ms(280),
		Error: &Failure{Kind: "no_agent", Code: 5, Message: "no agent joined the room within 15s", Hint: "check that the agent worker is running and dispatched to this room"},
		Turns: []Turn{
			{Index: 0, Name: "ask", Kind: "say", Line: 5, Verdict: Skipped, Said: "what do I owe"},
		},
	}
}

func baseReport(calls ...Call) *Report {
	return &Report{
		Version: Version, Tool: "webcall 1.4.0",
		Suite:       []string{"scenarios/"},
		StartedAt:   time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC),
		DurationMS:  21000,
		Concurrency: 2, Repeat: 1,
		Machines: []Machine{{Hostname: "ci-1", CPUs: 4, Load1Start: 0.4, Load1End: 1.2, CPUPercent: 35, PeakRSSBytes: 120 << 20}},
		Calls:    calls,
	}
}

func allPassReport() *Report {
	return baseReport(passingCall(0, "order", "scenarios/order.yaml"), passingCall(1, "returns", "scenarios/returns.yaml"))
}

func mixedReport() *Report {
	return baseReport(passingCall(0, "order", "scenarios/order.yaml"), failingCall(1), erroredCall(2))
}
