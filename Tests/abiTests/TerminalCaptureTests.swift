import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs a program with standard input and output on /dev/null and waits for it with waitpid.
/// (Foundation's Process never saw the tmux client exit once it had started its server.)
func spawnAndWait(_ arguments: [String]) -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    for fd: Int32 in [0, 1, 2] { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
    // The test runner's threads block signals; a tmux server inheriting that mask, and the shell
    // in its pane, would ignore the hang-up that ends them.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var none = sigset_t()
    sigemptyset(&none)
    posix_spawnattr_setsigmask(&attributes, &none)
    var all = sigset_t()
    sigfillset(&all)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var pid: pid_t = 0
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    guard posix_spawn(&pid, arguments[0], &actions, &attributes, &argv, environ) == 0 else { return -1 }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return status
}

/// `abi capture` on a real terminal, driven through tmux: keys typed with send-keys, the screen
/// read with capture-pane.
@Suite(.serialized) struct TerminalCaptureTests {
    final class Tmux {
        let socket: String
        init(_ command: String, in dir: URL) throws {
            socket = dir.appendingPathComponent("tmux.sock").path
            // The server must not inherit our pipes, or reading them would wait for it to exit.
            _ = spawnAndWait(["/usr/bin/tmux", "-S", socket, "-f", "/dev/null", "new-session", "-d", "-x", "120", "-y", "40", command + "; sleep 60"])
        }

        func keys(_ keys: String...) throws {
            _ = try CommandTests.run(URL(fileURLWithPath: "/usr/bin/tmux"), ["-S", socket, "send-keys"] + keys)
        }

        var screen: String { (try? CommandTests.run(URL(fileURLWithPath: "/usr/bin/tmux"), ["-S", socket, "capture-pane", "-p"]).stdout) ?? "" }

        func waitFor(_ text: String, seconds: Double = 15) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if screen.contains(text) { return true }
                usleep(50_000)
            }
            return false
        }

        func close() { _ = spawnAndWait(["/usr/bin/tmux", "-S", socket, "kill-server"]) }
    }

    @Test("tmux is installed (scripts/setup installs it)")
    func installed() { #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux"), "apt-get install tmux") }

    @Test("Typed on a terminal: keys without echo, the status line redrawn in place with the readings so far, the result at the end")
    func typed() throws {
        let dir = try CommandTests.temporaryDirectory()
        let db = dir.appendingPathComponent("abi.sqlite").path
        let tmux = try Tmux("ABI_DB=\(db) \(CommandTests.binary.path) capture --patient TTY-1", in: dir)
        defer { tmux.close() }
        #expect(tmux.waitFor("no device | site: right brachial | no readings yet"), "\(tmux.screen)")
        try tmux.keys("132/80", "Enter")
        #expect(tmux.waitFor("Recorded right brachial: 132/80 mmHg (reading 1, saved)"), "\(tmux.screen)")
        try tmux.keys("110", "Enter", "a", "Enter")  // two answers in one burst
        #expect(tmux.waitFor("site: left posterior tibial | RB 132/80 · RPT 110 · RDP absent"), "\(tmux.screen)")
        try tmux.keys("12")
        #expect(tmux.waitFor("> 12"))
        try tmux.keys("BSpace", "BSpace", "118", "Enter", "112", "Enter", "128", "Enter")
        #expect(tmux.waitFor("ABI result for patient TTY-1"), "\(tmux.screen)")
        let screen = tmux.screen
        #expect(screen.contains("0.83  abnormal, mild") && screen.contains("saved as preliminary"))
        // The status line is redrawn, not repeated: it is on the screen once at most.
        #expect(screen.components(separatedBy: "no device | site:").count <= 2)
    }

    @Test("Doppler on a terminal: the live cuff pressure in the status line, Space marks it")
    func spaceMarks() throws {
        let dir = try CommandTests.temporaryDirectory()
        let db = dir.appendingPathComponent("abi.sqlite").path
        let (simulator, port) = try DeviceCommandTests.simulate("doppler-manometer", "normal", seconds: 60)
        defer { simulator.stop() }
        let tmux = try Tmux("ABI_DB=\(db) \(CommandTests.binary.path) capture --patient TTY-2 --port \(port) --profile doppler-manometer", in: dir)
        defer { tmux.close() }
        #expect(tmux.waitFor("doppler-manometer connected, cuff "), "\(tmux.screen)")
        try tmux.keys("Space")
        #expect(tmux.waitFor("Recorded right brachial: "), "\(tmux.screen)")
        #expect(tmux.screen.contains("RB "))
        try tmux.keys("q", "Enter")
        #expect(tmux.waitFor("stopped; every reading so far is saved"), "\(tmux.screen)")
    }
}
