import ABICore
import ABIDevices
import ABIStore
import ABIWeb
import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

extension ABI {
    struct Users: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The users of the web app (abi serve), each with a role.",
            subcommands: [Add.self, List.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Add a user: technologist (capture, entry, preliminary reports), physician (also sign-off and amendments) or admin (users, devices, site settings).",
                discussion: """
                    The password is asked for twice on a terminal (not shown), or read as one line \
                    from standard input. It needs at least 10 characters. Only its bcrypt hash is \
                    stored; the store's audit trail records who added whom.

                    Examples:
                      abi users add kowalska --role physician
                      printf '%s\\n' "$PASSWORD" | abi users add admin --role admin
                    """)
            @Argument(help: ArgumentHelp("The user's sign-in name (letters, digits, . _ -; up to 64).", valueName: "NAME")) var name: String
            @Option(help: ArgumentHelp("technologist, physician or admin.", valueName: "ROLE")) var role: String
            @OptionGroup var store: StoreArguments

            func validate() throws {
                guard Store.Role(rawValue: role) != nil else { throw ValidationError("--role: \"\(role)\" is not a role (technologist, physician or admin)") }
                if let problem = Store.userNameProblem(name) { throw ValidationError("NAME: \(problem)") }
            }

            func run() throws {
                let password = try Password.read(confirm: true)
                let db = try store.open(.create)
                do { try db.addUser(name, role: Store.Role(rawValue: role)!, passwordHash: WebApp.passwordHash(password), actor: store.actor) }
                catch { throw Failure(error) }
                Terminal.error("abi users: added \(name) (\(role))")
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the users and their roles, and which accounts are locked.")
            @OptionGroup var store: StoreArguments

            func run() throws {
                let db = try store.open(.readOnly)
                let users: [Store.User]
                do { users = try db.users() } catch { throw Failure(error) }
                var out = BufferedOutput()
                for user in users {
                    let locked = user.lockedUntil.map { $0 > Store.nowText() ? "  locked until \($0)" : "" } ?? ""
                    try out.line(user.name.padding(toLength: max(18, user.name.count + 1), withPad: " ", startingAt: 0) + user.role.rawValue + locked)
                }
                try out.flush()
                if users.isEmpty { Terminal.error("abi users: no users yet (abi users add NAME --role admin)") }
            }
        }
    }

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the clinic's web app: worklist, patients, live capture, manual entry, exams, reports and sign-off.",
            discussion: """
                Listens on 127.0.0.1:8080 by default: open http://127.0.0.1:8080 in the station's \
                browser. Patient data must not cross a network in clear text: another address needs \
                TLS (--tls-cert and --tls-key, PEM files), or --insecure-http behind a TLS proxy, \
                which prints a warning. Under TLS the session cookie is Secure. Sessions end after 15 \
                minutes idle and on sign-out. Stop with Ctrl-C or SIGTERM: running captures stay in \
                progress and resume from the worklist.

                Devices: captures use the serial devices libudev lists with a profile (their udev \
                rule, or abi devices bind), and the ports given with --device PATH=PROFILE (a port \
                libudev does not list, such as abi simulate's).

                The store needs a user first: abi users add NAME --role admin

                Examples:
                  abi serve
                  abi serve --listen 0.0.0.0:8443 --tls-cert /etc/abi/tls/cert.pem --tls-key /etc/abi/tls/key.pem
                  abi serve --device /tmp/abi-doppler=doppler-manometer
                """)
        @Option(help: ArgumentHelp("The address and port to listen on.", valueName: "HOST:PORT")) var listen = "127.0.0.1:8080"
        @Option(help: ArgumentHelp("The server's certificate chain (PEM), for HTTPS.", valueName: "FILE")) var tlsCert: String?
        @Option(help: ArgumentHelp("The certificate's private key (PEM).", valueName: "FILE")) var tlsKey: String?
        @ArgumentParser.Flag(help: "Allow an address other than loopback without TLS (behind a TLS proxy only); prints a warning.") var insecureHttp = false
        @Option(help: ArgumentHelp("Minutes without a request before a session ends.", valueName: "MINUTES")) var idleMinutes = 15
        @Option(help: ArgumentHelp("Offer this port for captures with this device profile (repeatable).", valueName: "PATH=PROFILE")) var device: [String] = []
        @OptionGroup var store: StoreArguments

        func validate() throws {
            guard let (host, _) = Serve.address(listen) else { throw ValidationError("--listen: \"\(listen)\" is not HOST:PORT (e.g. 127.0.0.1:8080)") }
            if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
            if !Serve.isLoopback(host) && !insecureHttp && tlsCert == nil {
                throw ValidationError("--listen \(listen) is not loopback: patient data would cross the network in clear text. Give --tls-cert and --tls-key, or put a TLS proxy in front and add --insecure-http, or listen on 127.0.0.1.")
            }
            guard (1...720).contains(idleMinutes) else { throw ValidationError("--idle-minutes: out of range (1 to 720)") }
            for named in device {
                guard let (path, profile) = Serve.namedDevice(named) else { throw ValidationError("--device: \"\(named)\" is not PATH=PROFILE (e.g. /tmp/abi-doppler=doppler-manometer)") }
                if !profile.contains("/") && !profile.hasSuffix(".json") && !BuiltInProfiles.names.contains(profile) {
                    throw ValidationError("--device \(path): unknown profile \"\(profile)\" (built in: \(BuiltInProfiles.names.joined(separator: ", ")))")
                }
            }
        }

        static func namedDevice(_ text: String) -> (String, String)? {
            guard let equals = text.lastIndex(of: "=") else { return nil }
            let path = String(text[..<equals]), profile = String(text[text.index(after: equals)...])
            return path.isEmpty || profile.isEmpty ? nil : (path, profile)
        }

        static func address(_ text: String) -> (String, Int)? {
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
            var host = String(text[..<colon])
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            return host.isEmpty ? nil : (host, port)
        }

        static func isLoopback(_ host: String) -> Bool { host == "localhost" || host == "::1" || host.hasPrefix("127.") }

        func run() async throws {
            let (host, port) = Serve.address(listen)!
            let db = try store.open(.existing)
            let users: [Store.User]
            do { users = try db.users() } catch { throw Failure(error) }
            guard !users.isEmpty else {
                throw Failure(.unavailable, "the store \(store.path) has no users yet. Create the first admin, then start again:\n  abi users add NAME --role admin --db \(store.path)")
            }
            if !Serve.isLoopback(host) && tlsCert == nil { Terminal.error("abi serve: warning: listening on \(listen) without TLS; only behind a TLS proxy") }
            var tls: (certificate: String, key: String)?
            if let tlsCert, let tlsKey {
                for file in [tlsCert, tlsKey] where !Files.exists(file) { throw Failure(.noInput, "\(file): no such file") }
                do { _ = try WebApp.tlsConfiguration(certificate: tlsCert, key: tlsKey) } catch { throw Failure(.dataError, error.description) }
                tls = (tlsCert, tlsKey)
            }
            try SiteFile.load()
            var settings = WebApp.Settings()
            settings.site = SiteFile.loaded
            settings.secureCookies = tls != nil
            let named = device.compactMap(Serve.namedDevice).map { (port: $0.0, profile: $0.1) }
            let app = WebApp(store: db, sessions: Sessions(idle: Double(idleMinutes * 60)), settings: settings,
                             captures: LiveCaptures(devices: DeviceWatch(named: named)))
            let listen = self.listen, path = store.path, scheme = tls == nil ? "http" : "https"
            do {
                try await app.serve(host: host, port: port, tls: tls) {
                    Terminal.error("abi serve: listening on \(scheme)://\(listen) (store \(path)); Ctrl-C to stop")
                }
            } catch {
                throw Failure(.unavailable, "cannot serve on \(listen): \(error)")
            }
            Terminal.error("abi serve: stopped")
        }
    }
}

/// A password from the terminal (not echoed, asked twice) or one line of standard input.
enum Password {
    static func read(confirm: Bool) throws(Failure) -> String {
        let password: String
        if Terminal.isTerminal(STDIN_FILENO) {
            let first = try ask("Password (at least 10 characters): ")
            if confirm, try ask("Again: ") != first { throw Failure(.usage, "the two passwords differ; nothing was changed") }
            password = first
        } else {
            guard let line = readLine(strippingNewline: true) else { throw Failure(.usage, "no password on standard input (one line)") }
            password = line
        }
        if let problem = Store.passwordProblem(password) { throw Failure(.usage, "\(problem); nothing was changed") }
        return password
    }

    /// One line read with the terminal's echo off (restored afterwards, also on error).
    private static func ask(_ prompt: String) throws(Failure) -> String {
        Terminal.write(prompt, to: STDERR_FILENO)
        var saved = termios()
        let canHide = tcgetattr(STDIN_FILENO, &saved) == 0
        if canHide {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet)
        }
        defer {
            if canHide { tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved) }
            Terminal.write("\n", to: STDERR_FILENO)
        }
        guard let line = readLine(strippingNewline: true) else { throw Failure(.usage, "no password given") }
        return line
    }
}
