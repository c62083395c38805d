import Foundation
import Testing

/// `abi users` and `abi serve` as an admin runs them: the first user, the refusals, and a real
/// server on loopback that a client signs in to and that stops cleanly on SIGTERM.
@Suite struct ServeTests {
    /// `abi serve` with `arguments`, once it listens; its standard error so far in `log`.
    final class Server {
        let process = Process()
        let err = Pipe()
        var log = ""

        init(_ arguments: [String]) throws {
            process.executableURL = CommandTests.binary
            process.arguments = ["serve"] + arguments
            process.standardError = err
            process.standardOutput = Pipe()
            try process.run()
            let deadline = Date().addingTimeInterval(20)
            while !log.contains("listening on") && Date() < deadline {
                log += String(decoding: err.fileHandleForReading.availableData, as: UTF8.self)
            }
        }

        /// SIGTERM, then the rest of its standard error.
        func stop() -> String {
            process.terminate()
            process.waitUntilExit()
            log += String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            return log
        }

        deinit { if process.isRunning { process.terminate() } }
    }

    @Test("abi serve: no users → how to add the first admin (69); not loopback → refused (64); users add checks the password; the server signs a user in and stops on SIGTERM")
    func serve() throws {
        let dir = try CommandTests.temporaryDirectory()
        let db = dir.appendingPathComponent("abi.sqlite").path
        let sample = CommandTests.packageDirectory.appendingPathComponent("samples/pad.exam.json").path
        #expect(try CommandTests.abi(["exams", "import", sample, "--db", db]).status == 0)
        let port = Int.random(in: 20_000...40_000)

        let empty = try CommandTests.abi(["serve", "--db", db, "--listen", "127.0.0.1:\(port)"])
        #expect(empty.status == 69 && empty.stderr.contains("abi users add NAME --role admin --db \(db)"), "\(empty.stderr)")
        let open = try CommandTests.abi(["serve", "--db", db, "--listen", "0.0.0.0:\(port)"])
        #expect(open.status == 64 && open.stderr.contains("not loopback"), "\(open.stderr)")

        #expect(try CommandTests.abi(["users", "add", "admin", "--role", "admin", "--db", db], stdin: "short\n").status == 64)
        #expect(try CommandTests.abi(["users", "add", "admin", "--role", "boss", "--db", db], stdin: "long enough password\n").status == 64)
        let added = try CommandTests.abi(["users", "add", "admin", "--role", "admin", "--db", db], stdin: "long enough password\n")
        #expect(added.status == 0, "\(added.stderr)")
        #expect(try CommandTests.abi(["users", "add", "admin", "--role", "admin", "--db", db], stdin: "long enough password\n").status == 65)
        #expect(try CommandTests.abi(["users", "list", "--db", db]).stdout.contains("admin             admin"))
        #expect(try CommandTests.abi(["users", "add", "dr.lee", "--role", "physician", "--db", db], stdin: "a physician's password\n").status == 0)

        let server = try Server(["--db", db, "--listen", "127.0.0.1:\(port)"])
        #expect(server.log.contains("listening on http://127.0.0.1:\(port)"), "\(server.log)")

        // A client: the sign-in form, a wrong and a right password, the worklist (Python's urllib with a cookie jar).
        let client = """
            import http.cookiejar, sys, urllib.parse, urllib.request, urllib.error
            base = "http://127.0.0.1:\(port)"
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
            page = opener.open(base + "/").read().decode()
            assert "action=\\"/signin\\"" in page, page
            try:
                opener.open(base + "/signin", urllib.parse.urlencode({"name": "admin", "password": "wrong password"}).encode())
                sys.exit("a wrong password was let in")
            except urllib.error.HTTPError as e:
                assert e.code == 401, e.code
            home = opener.open(base + "/signin", urllib.parse.urlencode({"name": "dr.lee", "password": "a physician's password"}).encode()).read().decode()
            assert "Worklist" in home and "DEMO-0002" in home and "Waiting for sign-off" in home, home
            print("ok")
            """
        let run = try CommandTests.run(URL(fileURLWithPath: "/usr/bin/python3"), ["-c", client])
        #expect(run.status == 0 && run.stdout.contains("ok"), "\(run.stderr)")

        let log = server.stop()  // SIGTERM: a graceful stop
        #expect(server.process.terminationStatus == 0 && log.contains("abi serve: stopped"), "\(log)")
        let audit = try CommandTests.abi(["audit", "--db", db]).stdout
        #expect(audit.contains("user-added") && audit.contains("sign-in-failed") && audit.contains("signed-in"), "\(audit)")
    }

    @Test("abi serve over TLS: --tls-cert and --tls-key serve HTTPS with a Secure session cookie, on any address; a file that is not PEM is named (65), a missing one too (66)")
    func tls() throws {
        let dir = try CommandTests.temporaryDirectory()
        let db = dir.appendingPathComponent("abi.sqlite").path
        #expect(try CommandTests.abi(["users", "add", "dr.lee", "--role", "physician", "--db", db], stdin: "a physician's password\n").status == 0)
        let cert = dir.appendingPathComponent("cert.pem").path, key = dir.appendingPathComponent("key.pem").path
        let made = try CommandTests.run(URL(fileURLWithPath: "/usr/bin/openssl"),
                                        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                                         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"])
        try #require(made.status == 0, "\(made.stderr)")
        let port = Int.random(in: 20_000...40_000)

        let notPEM = try CommandTests.abi(["serve", "--db", db, "--listen", "0.0.0.0:\(port)", "--tls-cert", db, "--tls-key", key])
        #expect(notPEM.status == 65 && notPEM.stderr.contains("\(db): is not a PEM certificate"), "\(notPEM.stderr)")
        let missing = try CommandTests.abi(["serve", "--db", db, "--tls-cert", cert, "--tls-key", dir.appendingPathComponent("none.pem").path])
        #expect(missing.status == 66, "\(missing.stderr)")
        #expect(try CommandTests.abi(["serve", "--db", db, "--tls-cert", cert]).status == 64)

        let server = try Server(["--db", db, "--listen", "127.0.0.1:\(port)", "--tls-cert", cert, "--tls-key", key])
        #expect(server.log.contains("listening on https://127.0.0.1:\(port)"), "\(server.log)")
        let client = """
            import http.cookiejar, ssl, sys, urllib.parse, urllib.request
            context = ssl.create_default_context(cafile="\(cert)")
            jar = http.cookiejar.CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), urllib.request.HTTPCookieProcessor(jar))
            base = "https://127.0.0.1:\(port)"
            home = opener.open(base + "/signin", urllib.parse.urlencode({"name": "dr.lee", "password": "a physician's password"}).encode()).read().decode()
            assert "Worklist" in home, home
            cookie = [c for c in jar if c.name == "abi_session"][0]
            assert cookie.secure, "the session cookie is not Secure"
            try:
                urllib.request.urlopen("http://127.0.0.1:\(port)/signin", timeout=5)
                sys.exit("plain HTTP was answered")
            except Exception:
                pass
            print("ok")
            """
        let run = try CommandTests.run(URL(fileURLWithPath: "/usr/bin/python3"), ["-c", client])
        #expect(run.status == 0 && run.stdout.contains("ok"), "\(run.stderr)")
        _ = server.stop()
        #expect(server.process.terminationStatus == 0)
    }

    @Test("deploy/abi.service: systemd-analyze verify accepts the unit (pointed at the built abi), with its hardening options")
    func systemdUnit() throws {
        let unit = try String(contentsOf: CommandTests.packageDirectory.appendingPathComponent("deploy/abi.service"), encoding: .utf8)
        for option in ["User=abi", "Group=abi", "ProtectSystem=strict", "PrivateTmp=true", "NoNewPrivileges=true", "StateDirectory=abi", "ProtectHome=true"] {
            #expect(unit.contains("\n\(option)\n"), "\(option)")
        }
        let dir = try CommandTests.temporaryDirectory()
        let copy = dir.appendingPathComponent("abi.service")
        try unit.replacingOccurrences(of: "/usr/local/bin/abi", with: CommandTests.binary.path).write(to: copy, atomically: true, encoding: .utf8)
        let verified = try CommandTests.run(URL(fileURLWithPath: "/usr/bin/systemd-analyze"), ["verify", copy.path])
        #expect(verified.status == 0 && verified.stderr.isEmpty, "\(verified.stderr)")
    }

    @Test("SIGTERM with a capture running and its page following it: the page's stream ends, the server stops cleanly, and the exam stays in progress to resume")
    func stopWithCaptureRunning() throws {
        let dir = try CommandTests.temporaryDirectory()
        let db = dir.appendingPathComponent("abi.sqlite").path
        let link = dir.appendingPathComponent("doppler").path
        #expect(try CommandTests.abi(["users", "add", "nurse", "--role", "technologist", "--db", db], stdin: "a nurse password\n").status == 0)
        #expect(try CommandTests.abi(["patients", "add", "MRN-5", "--db", db]).status == 0)
        let simulator = Process()
        simulator.executableURL = CommandTests.binary
        simulator.arguments = ["simulate", "--profile", "doppler-manometer", "--scenario", "operator-marks", "--link", link]
        simulator.standardOutput = Pipe()
        simulator.standardError = Pipe()
        try simulator.run()
        defer { simulator.terminate() }
        let port = Int.random(in: 20_000...40_000)
        let server = try Server(["--db", db, "--listen", "127.0.0.1:\(port)", "--device", "\(link)=doppler-manometer"])
        // A client starts a capture and follows its events until the stream ends; then prints the exam.
        let client = """
            import http.cookiejar, re, sys, time, urllib.parse, urllib.request
            base = "http://127.0.0.1:\(port)"
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
            opener.open(base + "/signin", urllib.parse.urlencode({"name": "nurse", "password": "a nurse password"}).encode())
            page = opener.open(base + "/patients/MRN-5/captures/new").read().decode()
            csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
            for _ in range(50):
                if "\(link)" in page: break
                time.sleep(0.1)
            started = opener.open(base + "/patients/MRN-5/captures", urllib.parse.urlencode({"csrf": csrf, "device": "\(link)", "indication": "rest pain"}).encode())
            exam = started.geturl().rsplit("/", 1)[1]
            opener.open(base + "/captures/%s/command" % exam, urllib.parse.urlencode({"csrf": csrf, "text": "140", "typedAt": "RB"}).encode())
            events = opener.open(base + "/captures/%s/events" % exam, timeout=30)
            print(exam, flush=True)
            ended = False
            for line in events:
                if b'"ended"' in line: ended = True
            print("ended" if ended else "cut", flush=True)
            """
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        python.arguments = ["-c", client]
        let out = Pipe()
        python.standardOutput = out
        try python.run()
        let exam = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(Int(exam) != nil, "\(exam)")
        usleep(500_000)
        let log = server.stop()  // SIGTERM
        python.waitUntilExit()
        let rest = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(server.process.terminationStatus == 0 && log.contains("abi serve: stopped"), "\(log)")
        #expect(rest.contains("ended"), "the page was told the capture stopped: \(rest)")
        let shown = try CommandTests.abi(["exams", "show", exam, "--db", db])
        #expect(shown.stdout.contains("in progress") || shown.stdout.contains("in-progress") || shown.stdout.contains("INCOMPLETE"), "\(shown.stdout)")
        #expect(try CommandTests.abi(["exams", "list", "--db", db]).stdout.contains("in-progress"))
    }
}
