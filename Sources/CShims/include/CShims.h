#ifndef ABI_CSHIMS_H
#define ABI_CSHIMS_H

#include <termios.h>

/* Swift cannot call variadic C functions such as ioctl(2), and Glibc's Swift module lacks the
 * pseudo-terminal calls; these wrappers give each one a fixed signature. Each returns what the
 * C call returns (-1 with errno set on failure). */

/* ioctl(fd, TIOCEXCL): exclusive use of a tty. */
int abi_tiocexcl(int fd);
/* ioctl(fd, TIOCNXCL). */
int abi_tiocnxcl(int fd);
/* ioctl(fd, TIOCMGET, bits). */
int abi_tiocmget(int fd, int *bits);
/* ioctl(fd, TIOCMBIS / TIOCMBIC): set or clear modem lines (TIOCM_DTR, TIOCM_RTS). */
int abi_tiocm_set(int fd, int bits, int on);
/* ioctl(fd, FIONREAD, count). */
int abi_fionread(int fd, int *count);

int abi_tiocm_dtr(void);
int abi_tiocm_rts(void);

/* posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), grantpt, unlockpt, ptsname_r. */
int abi_open_pty_master(void);
int abi_grant_unlock_pty(int fd);
int abi_pty_name(int fd, char *buffer, unsigned long length);

/* cfsetispeed/cfsetospeed for a baud given as a number (9600); -1 with EINVAL if unsupported. */
int abi_set_speed(struct termios *t, int baud);
/* The baud set in t, as a number, or -1. */
int abi_get_speed(const struct termios *t);

/* syncfs(fd): flush the file system holding fd (Linux, _GNU_SOURCE). */
int abi_syncfs(int fd);

/* mallopt(M_MMAP_THRESHOLD) and mallopt(M_TRIM_THRESHOLD) in bytes, which Glibc's Swift module
 * does not export. Returns 1 on success. */
int abi_malloc_thresholds(int mmap_threshold, int trim_threshold);

#endif
