//go:build linux && !noportaudio

// C's stdio stream stderr, redirected into Go: see cstderr_linux.go.

#define _GNU_SOURCE
#include <stdio.h>
#include <sys/types.h>
#include "_cgo_export.h"

static ssize_t webcall_stderr_write(void *cookie, const char *buf, size_t size) {
	(void)cookie;
	webcallCStderr((char *)buf, (int)size);
	return (ssize_t)size;
}

int webcall_capture_stderr(void) {
	cookie_io_functions_t io = {0};
	io.write = webcall_stderr_write;
	FILE *f = fopencookie(NULL, "w", io);
	if (f == NULL) {
		return -1;
	}
	// Line buffered, so that each message arrives whole; the libraries
	// end every message with a newline.
	setvbuf(f, NULL, _IOLBF, 0);
	// glibc's stdin, stdout and stderr are ordinary variables that a
	// program may assign; every library that prints to stderr reads it.
	stderr = f;
	return 0;
}
