#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM as a readable descriptor (the self-pipe trick), so that long-running
/// commands can stop cleanly from their poll loop and restore the port's settings.
enum StopSignal {
    nonisolated(unsafe) private static var pipeFDs: [Int32] = [-1, -1]

    /// The read end: becomes readable when SIGINT or SIGTERM arrives.
    static func install() -> Int32 {
        if pipeFDs[0] >= 0 { return pipeFDs[0] }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return -1 }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, O_NONBLOCK)
        }
        pipeFDs = fds
        writeFD = fds[1]
        let handler: @convention(c) (Int32) -> Void = { _ in
            var byte: UInt8 = 1
            _ = Glibc.write(StopSignal.writeFD, &byte, 1)
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
        // A parent may have started us with these blocked (a test runner's threads often do).
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        return fds[0]
    }

    nonisolated(unsafe) static var writeFD: Int32 = -1
}
