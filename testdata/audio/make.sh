#!/bin/sh
# Regenerates the audio test data in this folder (see README.md).
# Needs espeak-ng and sox (Debian: apt-get install espeak-ng sox), and for the
# compressed variants flac, vorbis-tools, opus-tools and lame.
# espeak-ng output is deterministic; sox runs with -R (repeatable) and -D (no
# dither), so rerunning this script reproduces the same bytes on the same
# versions (espeak-ng 1.51, SoX 14.4.2).
set -eu
cd "$(dirname "$0")"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

say() { # say <out.wav> <text>: speech as 48 kHz mono 16-bit PCM
	espeak-ng -v en-us -w "$tmp/say.wav" "$2"
	sox -R -D "$tmp/say.wav" -r 48000 -c 1 -b 16 -e signed-integer "$1"
}

say hello.wav "Hello, I would like to book a table for two tonight."
say question.wav "Do you have a table by the window?"
say reply.wav "Sure, I can help you with that. What time would you like?"

# Format variants of hello.wav for the decoder tests.
sox -R -D hello.wav -r 8000 -c 1 -b 16 -e signed-integer hello_8k.wav
sox -R -D hello.wav -r 16000 -c 1 -b 16 -e signed-integer hello_16k.wav
sox -R -D hello.wav -r 44100 -c 2 -b 16 -e signed-integer hello_44k1_stereo.wav
# -t wavpcm keeps a plain PCM header; sox would write WAVE_FORMAT_EXTENSIBLE
# for more than 16 bits otherwise.
sox -R -D hello.wav -t wavpcm -r 11025 -c 1 -b 24 -e signed-integer hello_s24.wav
sox -R -D hello.wav -r 8000 -c 1 -b 32 -e floating-point hello_f32.wav
sox -R -D hello.wav -r 8000 -c 1 -b 8 -e unsigned-integer hello_u8.wav
# Three channels make sox write WAVE_FORMAT_EXTENSIBLE: hello on the first
# two, silence on the third (remix 1 1 0 is channel 1, channel 1, nothing).
sox -R -D hello.wav -r 8000 -b 16 -e signed-integer hello_ext_3ch.wav remix 1 1 0

# Compressed variants of hello.wav, each at another rate and layout so that
# the resampler and the downmix run for each decoder. Fixed Ogg serial
# numbers keep the bytes reproducible (the tools pick random ones).
sox -R -D hello.wav -r 11025 -c 1 -b 16 -e signed-integer "$tmp/h11k.wav"
flac --silent --best --force -o hello.flac "$tmp/h11k.wav"
opusenc --quiet --serial 1 --bitrate 24 hello.wav hello.opus
sox -R -D hello.wav -r 22050 -c 2 -b 16 -e signed-integer "$tmp/h22k_stereo.wav"
oggenc --quiet --serial 1 --quality 0 -o hello.ogg "$tmp/h22k_stereo.wav"
# MPEG-1 (32 kHz and up): webcall refuses MPEG-2/2.5 MP3, see pkg/audio/mp3.go.
sox -R -D hello.wav -r 32000 -c 1 -b 16 -e signed-integer "$tmp/h32k.wav"
lame --quiet -b 48 --resample 32 "$tmp/h32k.wav" hello.mp3

# Bad files.
: > empty.wav
printf 'This is a text file, not audio.\n' > notwav.wav
# A header that promises the whole of hello_8k.wav's data, cut 16000 bytes in.
head -c 16000 hello_8k.wav > truncated.wav
sox -R -D hello.wav -r 8000 -c 1 -e mu-law mulaw.wav
