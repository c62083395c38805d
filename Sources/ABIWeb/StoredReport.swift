import ABIAudio
import ABICore
import ABIReports
import ABIStore

#if canImport(Glibc)
import Glibc
#endif

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

extension Store {
    /// The exam's Doppler waveforms for its reports: for each site, the latest sound kept with the
    /// exam (`abi capture --audio`), its description as recorded, and the picture of its last
    /// 6 s (the waveform with the cuff let down). A recording that fails its checksum gives no
    /// picture and says so.
    public func dopplerWaveforms(exam: Int64) -> [ExamReport.DopplerWaveform] {
        guard let sounds = try? sounds(exam: exam), !sounds.isEmpty else { return [] }
        var latest: [Site: DopplerSound] = [:]
        for sound in sounds { latest[sound.site] = sound }
        return Site.allCases.compactMap { site in
            guard let sound = latest[site] else { return nil }
            guard sound.intact else {
                return ExamReport.DopplerWaveform(site: site, description: sound.description + " (the recording does not match its checksum: not shown)", picture: nil)
            }
            let scratch = path + "-captures/report-\(getpid())-\(UInt32.random(in: 0 ... .max)).flac"
            defer { unlink(scratch) }
            let fd = open(scratch, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { return ExamReport.DopplerWaveform(site: site, description: sound.description, picture: nil) }
            var bytes = sound.flac
            let written = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
            guard written == sound.flac.count, let decoded = try? SoundFile.read(scratch) else {
                return ExamReport.DopplerWaveform(site: site, description: sound.description, picture: nil)
            }
            let analysis = DopplerAnalysis(decoded, keepPicture: true)
            let picture = SpectrumPicture(frames: analysis.frames, settings: AnalysisSettings(sampleRate: decoded.sampleRate),
                                          caption: "\(site.words.capitalizedFirst): \(sound.description)")
            return ExamReport.DopplerWaveform(site: site, description: sound.description, picture: picture)
        }
    }

    /// A stored exam's report with its Doppler waveforms.
    public func report(of stored: StoredExam, site: SiteConfiguration) -> ExamReport {
        var report = stored.report(site: site)
        report.doppler = dopplerWaveforms(exam: stored.id)
        return report
    }
}
