import ABICore
import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

extension AnkleMethod: ExpressibleByArgument {}
extension SeverityScheme: ExpressibleByArgument {}

/// The rule options every calculating command takes.
struct RuleArguments: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Ankle pressure used per leg: higher (the guideline method) or lower (LABI, more sensitive; labelled non-standard).",
        valueName: "higher|lower"))
    var ankle: AnkleMethod = .higher

    @Option(help: ArgumentHelp(
        "Severity bands for an abnormal ABI: common (0.70–0.90 mild, 0.40–0.69 moderate, <0.40 severe) or nice (0.50–0.90 mild-moderate, <0.50 severe).",
        valueName: "common|nice"))
    var severity: SeverityScheme = .common

    var options: RuleOptions { RuleOptions(ankle: ankle, severity: severity) }
}

extension ABI {
    struct Calc: ParsableCommand {
        enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
            case json, text
        }

        static let configuration = CommandConfiguration(
            abstract: "Calculate ABI, TBI, PAD category, severity, WIfI grade and flags for an exam file.",
            discussion: """
                Reads an abi-exam/1 file (or - for standard input) and prints the abi-result/1 JSON, \
                or with --format text a compact summary: per leg the ABI, category and severity, TBI, \
                WIfI, then the flags, most urgent first, and the rule set used.

                With --batch, reads JSON Lines: one exam per line, one result per line out, in order. \
                A bad line gives an error record instead, and the batch goes on:
                  {"format":"abi-error/1","line":7,"path":"readings[3].systolic","message":"…"}
                Blank lines are skipped. The exit code is 65 when any line was rejected, else 0.

                Examples:
                  abi calc samples/pad.exam.json --format text
                  abi calc --batch exams.jsonl > results.jsonl
                """
        )

        @Argument(help: ArgumentHelp("The exam file (abi-exam/1), or - for standard input.", valueName: "EXAM.json|-"))
        var exam: String?

        @Option(help: ArgumentHelp("Calculate every exam of a JSON Lines file (or - for standard input).", valueName: "FILE.jsonl"))
        var batch: String?

        @Option(help: ArgumentHelp("Output format.", valueName: "json|text"))
        var format: OutputFormat = .json

        @OptionGroup var rules: RuleArguments

        func validate() throws {
            switch (exam, batch) {
            case (nil, nil): throw ValidationError("Give an exam file (or - for standard input), or --batch FILE.jsonl.")
            case (.some, .some): throw ValidationError("Give either an exam file or --batch, not both.")
            case (nil, .some) where format == .text: throw ValidationError("--batch prints JSON Lines; --format text is for a single exam.")
            default: break
            }
        }

        func run() throws {
            if let batch {
                let rejected = try BatchCalculation(options: rules.options).run(path: batch)
                if rejected > 0 { throw ExitCode(ExitStatus.dataError.rawValue) }
                return
            }
            guard let path = exam else { return }
            let exam = try Files.readExam(path)
            let result = exam.result(options: rules.options)
            switch format {
            case .json: Terminal.write(ResultFile.encode(result, pretty: true) + "\n")
            case .text: Terminal.write(ResultSummary.text(result))
            }
        }
    }
}
