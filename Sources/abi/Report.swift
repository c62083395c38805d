import ABICore
import ABIReports
import ArgumentParser

extension ABI {
    struct Report: ParsableCommand {
        enum Format: String, ExpressibleByArgument, CaseIterable {
            case text, html, csv
        }

        static let configuration = CommandConfiguration(
            abstract: "Write a patient's ABI report from an exam file (text, HTML or CSV so far).",
            discussion: """
                Every format carries the same facts: the patient and exam, every reading with its \
                state (superseded readings marked), the derived values, the flags most urgent \
                first, the symptom patterns, the comparison with the prior exam, and the rule set \
                with its sources.

                CSV has one row per leg with a header; its columns are listed in docs/csv-report.md. \
                Output files are created mode 0600 and never overwritten without --force.
                """
        )

        @Argument(help: ArgumentHelp("The exam file (abi-exam/1), or - for standard input.", valueName: "EXAM.json|-"))
        var exam: String

        @Option(help: ArgumentHelp("text, html (one self-contained file with a body diagram) or csv.", valueName: "FORMAT"))
        var format: Format = .text

        @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write to this file instead of standard output.", valueName: "FILE"))
        var output: String?

        @ArgumentParser.Flag(help: "Replace the output file if it exists.")
        var force = false

        @OptionGroup var rules: RuleArguments

        func run() throws {
            let name = exam == "-" ? "standard input" : exam
            let bytes = try Files.read(exam)
            let parsed: Exam
            do { parsed = try ExamFile.decode(bytes) } catch { throw Failure(.dataError, "\(name): \(error)") }
            let report = ExamReport(exam: parsed, options: rules.options)
            let text = switch format {
            case .text: TextReport.render(report)
            case .html: HTMLReport.render(report)
            case .csv: CSVReport.headerLine + CSVReport.rows(report)
            }
            if let output {
                try Files.createPrivate(output, text, replace: force)
            } else {
                Terminal.write(text)
            }
        }
    }
}
