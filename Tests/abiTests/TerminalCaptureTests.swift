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
        init(_ command: String, in dir: URL, width: Int = 120, height: Int = 40) throws {
            socket = dir.appendingPathComponent("tmux.sock").path
            // The server must not inherit our pipes, or reading them would wait for it to exit.
            _ = spawnAndWait(["/usr/bin/tmux", "-S", socket, "-f", "/dev/null", "new-session", "-d", "-x", "\(width)", "-y", "\(height)", command + "; sleep 60"])
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

    @Test("Rule 6 and the screen: an unknown patient is added only when confirmed, with its details; the sites fill in place; symptoms, review, result")
    func typed() throws {
        let dir = try CommandTests.temporaryDirectory()
        let db = dir.appendingPathComponent("abi.sqlite").path
        let tmux = try Tmux("ABI_DB=\(db) \(CommandTests.binary.path) capture --patient TTY-1", in: dir)
        defer { tmux.close() }
        #expect(tmux.waitFor("Patient TTY-1 is not in the store. Add this patient? y/n [n]"), "\(tmux.screen)")
        try tmux.keys("y", "Enter")
        #expect(tmux.waitFor("Name (Family, Given):"))
        try tmux.keys("Nowak, Ewa", "Enter", "1948-05-02", "Enter")
        #expect(tmux.waitFor("Sex (f female"))
        try tmux.keys("f", "Enter", "n", "Enter")
        #expect(tmux.waitFor("TTY-1 · Nowak, Ewa · born 1948-05-02 · female · no diabetes"), "\(tmux.screen)")
        #expect(tmux.waitFor("Now: right brachial"), "\(tmux.screen)")
        try tmux.keys("132/80", "Enter")
        #expect(tmux.waitFor("Recorded right brachial: 132/80 mmHg (reading 1, saved)"), "\(tmux.screen)")
        try tmux.keys("110", "Enter", "a", "Enter")  // two answers in one burst
        #expect(tmux.waitFor("Now: left posterior tibial"), "\(tmux.screen)")
        let sites = tmux.screen
        #expect(sites.contains("RB  right brachial         132/80 "), "\(sites)")
        #expect(sites.contains("RDP right dorsalis pedis   absent"), "\(sites)")
        #expect(sites.contains("> LPT left posterior tibial"), "\(sites)")
        try tmux.keys("12")
        #expect(tmux.waitFor("> 12"))
        try tmux.keys("BSpace", "BSpace", "118", "Enter", "112", "Enter", "128", "Enter")
        #expect(tmux.waitFor("Record symptoms and signs"), "\(tmux.screen)")
        try tmux.keys("n", "Enter")
        #expect(tmux.waitFor("Review before saving"), "\(tmux.screen)")
        try tmux.keys("Enter")
        #expect(tmux.waitFor("ABI result for patient TTY-1"), "\(tmux.screen)")
        let screen = tmux.screen
        #expect(screen.contains("0.83  abnormal, mild") && screen.contains("saved as preliminary"))
        let patient = try CommandTests.run(CommandTests.binary, ["patients", "show", "TTY-1", "--db", db])
        #expect(patient.stdout.contains("Nowak, Ewa"), "\(patient.stdout)")
    }

    @Test("Doppler on a terminal: the live cuff pressure in large digits, Space marks it; the screen fits 80×24 and ? shows the keys")
    func spaceMarks() throws {
        let dir = try CommandTests.temporaryDirectory()
        let db = dir.appendingPathComponent("abi.sqlite").path
        #expect(try CommandTests.run(CommandTests.binary, ["patients", "add", "TTY-2", "--name", "Kowalski, Jan", "--birth-date", "1950-03-02", "--db", db]).status == 0)
        let (simulator, port) = try DeviceCommandTests.simulate("doppler-manometer", "normal", seconds: 60)
        defer { simulator.stop() }
        let tmux = try Tmux("ABI_DB=\(db) \(CommandTests.binary.path) capture --patient TTY-2 --rest-minutes 5 --port \(port) --profile doppler-manometer",
                            in: dir, width: 80, height: 24)
        defer { tmux.close() }
        #expect(tmux.waitFor("Device doppler-manometer: connected"), "\(tmux.screen)")
        #expect(tmux.waitFor("mmHg/s"), "\(tmux.screen)")  // the deflation rate beside the digits
        let screen = tmux.screen
        let lines = screen.split(separator: "\n")
        #expect(lines.count <= 24 && lines.allSatisfy { $0.count <= 80 }, "\(screen)")
        #expect(screen.contains("TTY-2 · Kowalski, Jan · born 1950-03-02"), "\(screen)")
        for code in ["RB ", "LB ", "RPT", "RDP", "LPT", "LDP"] { #expect(screen.contains(code), "\(code)") }
        #expect(screen.contains("Rest: 4:") || screen.contains("Rest: 5:0"), "\(screen)")
        #expect(screen.contains("Space mark") && screen.contains("Now: right brachial"), "\(screen)")
        #expect(screen.contains("|_|") || screen.contains(" _|") || screen.contains("|_ "), "\(screen)")  // the large digits
        #expect(screen.contains("Deflating too fast for Doppler"), "\(screen)")  // the simulator deflates 12 mmHg/s
        try tmux.keys("?")
        #expect(tmux.waitFor("Space/mark take the cuff pressure"), "\(tmux.screen)")
        #expect(!tmux.screen.contains("Exit codes"))
        try tmux.keys("Space")
        #expect(tmux.waitFor("Recorded right brachial: "), "\(tmux.screen)")
        try tmux.keys("q", "Enter")
        #expect(tmux.waitFor("stopped; every reading so far is saved"), "\(tmux.screen)")
    }

    @Test("Rule 7 / C8: on a terminal Esc stops the automatic cuff: the SunTech abort reaches the module while it measures")
    func escapeStopsTheCuff() throws {
        let dir = try CommandTests.temporaryDirectory()
        let db = dir.appendingPathComponent("abi.sqlite").path
        #expect(try CommandTests.run(CommandTests.binary, ["patients", "add", "TTY-3", "--name", "Ng, Li", "--birth-date", "1944-01-01", "--db", db]).status == 0)
        let (simulator, port) = try DeviceCommandTests.simulate("suntech-advantage", "normal", seconds: 60)
        let tmux = try Tmux("ABI_DB=\(db) \(CommandTests.binary.path) capture --patient TTY-3 --port \(port) --profile suntech-advantage", in: dir)
        defer { tmux.close() }
        #expect(tmux.waitFor("Keys:") && tmux.screen.contains("auto") && tmux.screen.contains("Esc stop cuff") && !tmux.screen.contains("Space mark"), "\(tmux.screen)")
        try tmux.keys("auto", "Enter")
        #expect(tmux.waitFor("Measuring the right brachial with the automatic cuff"), "\(tmux.screen)")
        #expect(tmux.waitFor("automatic cuff measuring"), "\(tmux.screen)")
        try tmux.keys("Escape")
        #expect(tmux.waitFor("was stopped (stopped by the operator)"), "\(tmux.screen)")
        usleep(8_000_000)  // past the simulated cycle: no result comes, none is recorded
        try tmux.keys("q", "Enter")
        #expect(tmux.waitFor("stopped; every reading so far is saved"), "\(tmux.screen)")
        simulator.stop()
        let heard = simulator.standardError
        #expect(heard.contains("received abort (cuff deflated at"), "\(heard)")
        #expect(CaptureTests.readings(try CaptureTests.show(1, db: db)).isEmpty)
    }

    @Test("E1, E3 / rule 10: abi enter on a terminal goes back to fix a typo; Ctrl-C keeps what was typed in progress, and --resume goes on")
    func enterCtrlCKeeps() throws {
        let dir = try CommandTests.temporaryDirectory()
        let db = dir.appendingPathComponent("abi.sqlite").path
        #expect(try CommandTests.run(CommandTests.binary, ["patients", "add", "TTY-4", "--name", "Ode, Ann", "--birth-date", "1939-09-09", "--db", db]).status == 0)
        let tmux = try Tmux("ABI_DB=\(db) \(CommandTests.binary.path) enter --patient TTY-4", in: dir, width: 80, height: 24)
        defer { tmux.close() }
        #expect(tmux.waitFor("Now: right brachial"), "\(tmux.screen)")
        try tmux.keys("130/80", "Enter", "96", "Enter")
        #expect(tmux.waitFor("Now: right dorsalis pedis"), "\(tmux.screen)")
        try tmux.keys("back", "Enter", "69", "Enter", "a", "Enter")
        #expect(tmux.waitFor("Now: left posterior tibial"), "\(tmux.screen)")
        try tmux.keys("C-c")
        #expect(tmux.waitFor("every reading so far is saved"), "\(tmux.screen)")
        let shown = try CaptureTests.show(1, db: db)
        #expect(shown["status"] as? String == "in-progress")
        #expect(CaptureTests.readings(shown).compactMap { $0["systolic"] as? Int } == [130, 96, 69])
        let rest = try CommandTests.run(CommandTests.binary, ["enter", "--resume", "--patient", "TTY-4", "--db", db], stdin: "120\n118\n128\nn\n\n")
        #expect(rest.status == 0 && rest.stdout.contains("0.53  abnormal, moderate"), "\(rest.stdout) \(rest.stderr)")
    }

    @Test("C4 / rule 4: on a terminal, a value begun at one site is not recorded after the manometer's MARK moved the session on")
    func typedValueKeepsItsSite() throws {
        let dir = try CommandTests.temporaryDirectory()
        let db = dir.appendingPathComponent("abi.sqlite").path
        #expect(try CommandTests.run(CommandTests.binary, ["patients", "add", "TTY-5", "--name", "Typ, Ist", "--birth-date", "1951-05-05", "--db", db]).status == 0)
        let (simulator, port) = try DeviceCommandTests.simulate("doppler-manometer", "normal", seconds: 60)
        defer { simulator.stop() }
        let tmux = try Tmux("ABI_DB=\(db) \(CommandTests.binary.path) capture --patient TTY-5 --port \(port) --profile doppler-manometer", in: dir)
        defer { tmux.close() }
        #expect(tmux.waitFor("Now: right brachial"), "\(tmux.screen)")
        try tmux.keys("1")  // the operator starts typing at the right brachial…
        #expect(tmux.waitFor("Recorded right brachial: 128 mmHg (reading 1, saved)", seconds: 25), "\(tmux.screen)")  // …the MARK comes
        try tmux.keys("18", "Enter")
        #expect(tmux.waitFor("Not recorded: you began typing at the right brachial"), "\(tmux.screen)")
        try tmux.keys("q", "Enter")
        #expect(tmux.waitFor("stopped; every reading so far is saved"), "\(tmux.screen)")
        #expect(CaptureTests.readings(try CaptureTests.show(1, db: db)).count == 1)
    }
}
