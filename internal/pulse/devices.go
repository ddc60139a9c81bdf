package pulse

// Devices names a daemon's virtual devices, as PulseAudio knows them.
type Devices struct {
	// Speaker is the sink that plays the part of the speaker: the
	// default sink. What is played into it can be recorded from
	// SpeakerMonitor.
	Speaker        string
	SpeakerMonitor string
	// MicFeed is the sink that stands for the room the microphone is in:
	// what is played into it, the microphone hears.
	MicFeed string
	// Mic is the source that plays the part of the microphone: the
	// default source.
	Mic string
}

// tunedDevices: the microphone is the feed's monitor itself.
var tunedDevices = Devices{
	Speaker:        SpeakerSink,
	SpeakerMonitor: SpeakerMonitor,
	MicFeed:        MicSink,
	Mic:            MicSource,
}

// stockDevices are named as in the recipe people follow to give a
// container audio (and as in the issue that asked for this mode): a
// remap source makes the feed's monitor a real source, which is what
// applications expect a microphone to be.
var stockDevices = Devices{
	Speaker:        "spk",
	SpeakerMonitor: "spk.monitor",
	MicFeed:        "micfeed",
	Mic:            "mic",
}
