import ABICore
import ABIReports
import ABIStore

extension Store.StoredExam {
    /// The report's status: incomplete while in progress, preliminary, or final with its signature.
    public var reportStatus: ExamReport.Status {
        if status == .inProgress { return .incomplete }
        guard status == .final, let by = signedBy, let at = signedAt.flatMap(Timestamp.init) else { return .preliminary }
        return .final(signedBy: by, at: at)
    }

    /// Where this version stands among the exam's versions, for its reports.
    public var revision: ExamReport.Revision {
        ExamReport.Revision(replaces: amends.map { "the report of \(amendsReportOf.map { String($0.prefix(10)) } ?? "an earlier date") (exam \($0))" },
                            reason: amendReason,
                            supersededBy: amendedBy.map { "the amended report of \(amendedAt.map { String($0.prefix(10)) } ?? "a later date") (exam \($0))" })
    }

    /// The report of this stored exam, for the command line and the web app alike: its signed
    /// result and status, its place among the versions, and the site's letterhead.
    public func report(site: SiteConfiguration) -> ExamReport {
        var report = ExamReport(exam: exam, options: options, status: reportStatus, result: result, revision: revision,
                                signature: ExamReport.Signature(role: signerRole, conclusion: conclusion))
        report.site = site
        report.record = (id, version)
        return report
    }
}
