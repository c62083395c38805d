#define _GNU_SOURCE
#include "CShims.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

int abi_tiocexcl(int fd) { return ioctl(fd, TIOCEXCL, NULL); }
int abi_tiocnxcl(int fd) { return ioctl(fd, TIOCNXCL, NULL); }
int abi_tiocmget(int fd, int *bits) { return ioctl(fd, TIOCMGET, bits); }
int abi_tiocm_set(int fd, int bits, int on) { return ioctl(fd, on ? TIOCMBIS : TIOCMBIC, &bits); }
int abi_fionread(int fd, int *count) { return ioctl(fd, FIONREAD, count); }
int abi_tiocm_dtr(void) { return TIOCM_DTR; }
int abi_tiocm_rts(void) { return TIOCM_RTS; }

int abi_open_pty_master(void) { return posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC); }

int abi_grant_unlock_pty(int fd) {
    if (grantpt(fd) != 0) return -1;
    return unlockpt(fd);
}

int abi_pty_name(int fd, char *buffer, unsigned long length) { return ptsname_r(fd, buffer, length); }

static const struct { int baud; speed_t code; } speeds[] = {
    {1200, B1200}, {2400, B2400}, {4800, B4800}, {9600, B9600}, {19200, B19200},
    {38400, B38400}, {57600, B57600}, {115200, B115200}, {230400, B230400},
};

int abi_set_speed(struct termios *t, int baud) {
    for (unsigned i = 0; i < sizeof speeds / sizeof speeds[0]; i++) {
        if (speeds[i].baud == baud) {
            if (cfsetispeed(t, speeds[i].code) != 0) return -1;
            return cfsetospeed(t, speeds[i].code);
        }
    }
    errno = EINVAL;
    return -1;
}

int abi_get_speed(const struct termios *t) {
    speed_t code = cfgetospeed(t);
    for (unsigned i = 0; i < sizeof speeds / sizeof speeds[0]; i++) {
        if (speeds[i].code == code) return speeds[i].baud;
    }
    return -1;
}

int abi_syncfs(int fd) { return syncfs(fd); }

int abi_malloc_thresholds(int mmap_threshold, int trim_threshold) {
    return mallopt(M_MMAP_THRESHOLD, mmap_threshold) && mallopt(M_TRIM_THRESHOLD, trim_threshold);
}
