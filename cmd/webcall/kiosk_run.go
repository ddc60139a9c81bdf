package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/webcall-cli/webcall/pkg/call"
	"github.com/webcall-cli/webcall/pkg/failure"
	"github.com/webcall-cli/webcall/pkg/kiosk"
	"github.com/webcall-cli/webcall/pkg/kiosk/control"
	"github.com/webcall-cli/webcall/pkg/sdnotify"
)

// runKiosk runs `webcall kiosk` until ctx ends (SIGTERM, Ctrl-C). Whatever
// can be refused is refused before anything starts.
func runKiosk(ctx context.Context, o *kioskOptions) error {
	s := o.io
	if err := o.check(); err != nil {
		return err
	}
	log, err := kioskLogger(o)
	if err != nil {
		return err
	}
	files, err := o.files()
	if err != nil {
		return err
	}
	reconnect, err := o.reconnect.policy(true)
	if err != nil {
		return err
	}
	// Warnings about the credentials go into the log, as every other
	// line a kiosk writes: one format for journald.
	warn := &logLines{log: log}
	env := s.Getenv
	if o.apiSecretFile != "" {
		secret, err := readSecretFile("--api-secret-file", o.apiSecretFile, warn)
		if err != nil {
			return err
		}
		env = func(k string) string {
			if k == envAPISecret {
				return secret
			}
			return s.Getenv(k)
		}
	}
	src, err := o.creds.source(env, warn)
	if err != nil {
		return err
	}
	// The control API's listener is opened before anything else runs,
	// so that an address in use or refused fails at once.
	api, err := o.controlAPI()
	if err != nil {
		return err
	}
	served := false
	defer func() {
		if api.ln != nil && !served {
			api.ln.Close()
		}
	}()
	notify, err := sdnotify.New(s.Getenv, os.Getpid())
	if err != nil {
		return err
	}
	watchdog, _ := notify.WatchdogInterval()
	metrics := kiosk.NewMetrics()
	devs := &kiosk.SoundDevices{
		Config: o.deviceConfig(deviceLogger(s, o.verbose)),
		Restarted: func(silent time.Duration, err error) {
			metrics.DeviceRestarted()
			log.Warn(restartedMessage(silent, err))
		},
	}
	k, err := kiosk.New(kiosk.Options{
		Credentials: src,
		Devices:     devs,
		Call: call.Options{
			Timing: call.Timing{
				ConnectTimeout: o.connectTimeout,
				WaitAgent:      o.waitAgent,
				MaxDuration:    o.maxDuration,
				RecoverTimeout: o.reconnect.recoverTimeout,
			},
			Reconnect: reconnect,
			Logger:    sdkLogger(s, o.verbose),
		},
		AlwaysOn:    o.alwaysOn,
		Pause:       o.pause,
		DeviceCheck: o.deviceCheck,
		Files:       files,
		Metrics:     metrics,
		Notify:      notify,
		Watchdog:    watchdog,
		Log:         log,
	})
	if err != nil {
		return err
	}

	// The triggers and the API run beside the loop, each on a goroutine
	// that ends with ctx; the kiosk returns once all have.
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wg.Add(1)
	go func() {
		defer wg.Done()
		buttonSignal(ctx, k, log)
	}()
	stopKeys := kioskKeys(s, k, log)
	defer stopKeys()
	listening := ""
	if api.ln != nil {
		listening = api.ln.Addr().String()
		srv, err := control.New(control.Options{Controller: k, Gatherer: metrics.Registry, Token: api.token, Log: log})
		if err != nil {
			return err
		}
		served = true // Serve owns the listener now
		wg.Add(1)
		go func(l net.Listener) {
			defer wg.Done()
			if err := srv.Serve(ctx, l); err != nil {
				log.Error("the control API stopped", "err", err)
			}
		}(api.ln)
	}
	log.Info("kiosk starting", "triggers", describeStart(o, listening))
	return k.Run(ctx)
}

// controlAPI is what --listen and --api-token-file ask for: the listener
// (nil for "off") and the token.
type controlAPI struct {
	ln    net.Listener
	token []byte
}

// controlAPI checks --listen and --api-token-file and opens the listener.
func (o *kioskOptions) controlAPI() (controlAPI, error) {
	var api controlAPI
	if o.listen == "off" {
		if o.apiTokenFile != "" {
			return api, failure.New(failure.Usage, "--api-token-file with --listen off").WithHint("serve the API on an address, or leave out the token file")
		}
		return api, nil
	}
	if o.apiTokenFile != "" {
		tok, err := control.ReadTokenFile(o.apiTokenFile)
		if err != nil {
			return api, err
		}
		api.token = tok
	}
	if err := control.CheckListen(o.listen, len(api.token) > 0); err != nil {
		return api, err
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return api, failure.Wrap(failure.Usage, err, fmt.Sprintf("cannot listen on %s (--listen)", o.listen)).
			WithHint("pick a free port, or --listen off")
	}
	api.ln = ln
	return api, nil
}

// buttonSignal toggles the call on each SIGUSR1: a button wired through a
// script has one way to talk to the kiosk.
func buttonSignal(ctx context.Context, k *kiosk.Kiosk, log *slog.Logger) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR1)
	defer signal.Stop(sigs)
	for {
		select {
		case <-ctx.Done():
			return
		case <-sigs:
			toggle(ctx, k, kiosk.TriggerSignal, log)
		}
	}
}

// toggle starts or ends a call for a button, and logs what it did.
func toggle(ctx context.Context, k *kiosk.Kiosk, by kiosk.Trigger, log *slog.Logger) {
	tctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cs, err := k.Toggle(tctx, by)
	switch {
	case err != nil:
		log.Info("the button did nothing", "trigger", string(by), "why", err.Error())
	case cs.Ended.IsZero():
		log.Info("call started", "trigger", string(by), "call", cs.ID)
	default:
		log.Info("hung up", "trigger", string(by), "call", cs.ID)
	}
}

// kioskKeys makes Space and Enter on the terminal a button, when stdin is
// the terminal in front of the kiosk; it returns the function that stops
// reading and puts the terminal back.
func kioskKeys(s *streams, k *kiosk.Kiosk, log *slog.Logger) func() {
	f, ok := s.In.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	keys, err := listenKeys(int(f.Fd()), func(b []byte) {
		for _, c := range b {
			if c == ' ' || c == '\r' || c == '\n' {
				wg.Add(1)
				go func() {
					defer wg.Done()
					toggle(ctx, k, kiosk.TriggerKey, log)
				}()
				return
			}
		}
	})
	if err != nil || keys == nil {
		cancel()
		return func() {}
	}
	s.terminal.set(keys.restore)
	log.Info("press Space or Enter to start or end a call; Ctrl-C stops the kiosk")
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			keys.stop()
			keys.restore()
			s.terminal.set(nil)
			wg.Wait()
		})
	}
}

// logLines turns the lines written to it (the warnings of the credential
// flags) into warnings of the log.
type logLines struct {
	log  *slog.Logger
	part []byte
}

func (l *logLines) Write(p []byte) (int, error) {
	l.part = append(l.part, p...)
	for {
		i := bytes.IndexByte(l.part, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := strings.TrimPrefix(strings.TrimSpace(string(l.part[:i])), "warning: ")
		l.part = l.part[i+1:]
		if line != "" {
			l.log.Warn(line)
		}
	}
}
