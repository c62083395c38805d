import ABICore
import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

@main
struct ABI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abi",
        abstract: "Ankle-brachial index: calculate ABI, TBI, PAD grades and red flags from exam files or typed pressures.",
        discussion: """
            Rules: \(RuleSet.name) v\(RuleSet.version) (2016 ACC/AHA, AHA 2012 measurement, SVS WIfI). \
            Every number in a result traces to a rule id R1–R18.

            Exit codes: 0 success, 64 usage error, 65 invalid input data (the message names the file, \
            JSON path and value; also data a store refuses), 66 input file missing or unreadable \
            (or no such patient or exam in the store), 69 device unavailable (or abi serve with no users yet), 73 cannot create \
            output, 74 I/O error (a device during capture, or the store).
            """,
        version: "0.1.0",
        subcommands: [Calc.self, Enter.self, Capture.self, Report.self, Patients.self, Exams.self, History.self, Audit.self, Devices.self, Listen.self, Ingest.self, Record.self, Simulate.self, Doppler.self, Users.self, Serve.self]
    )

    /// Runs the command and maps every failure to its documented exit code in one place.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as Failure {
            Terminal.error("abi: \(failure.message)")
            Glibc.exit(failure.status.rawValue)
        } catch {
            exit(withError: error)
        }
    }
}

/// A failure with the message to show and the exit code of docs/formats.md.
struct Failure: Error {
    let message: String
    let status: ExitStatus

    init(_ status: ExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }
}
