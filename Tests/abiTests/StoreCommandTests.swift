import ABICore
import Foundation
import Testing

/// The store commands end to end: the built `abi` with a store named by `ABI_DB` or `--db`.
@Suite struct StoreCommandTests {
    struct Session {
        let dir: URL
        var db: String { dir.appendingPathComponent("store/abi.sqlite").path }

        init() throws { dir = try CommandTests.temporaryDirectory() }

        func abi(_ arguments: [String], stdin: String? = nil) throws -> CommandTests.Run {
            try CommandTests.run(CommandTests.binary, arguments, stdin: stdin, environment: ["ABI_DB": db, "ABI_OPERATOR": "nurse-1"])
        }

        func vector(_ name: String) -> String { CommandTests.vectors.appendingPathComponent("\(name).exam.json").path }
        func sample(_ name: String) -> String { CommandTests.packageDirectory.appendingPathComponent("samples/\(name).exam.json").path }
    }

    @Test("Patients: add, list, show; a duplicate id is refused; bad details are usage errors")
    func patients() throws {
        let s = try Session()
        #expect(try s.abi(["patients", "add", "MRN-1", "--name", "Doe, Jane", "--birth-date", "1950-04-02", "--sex", "female", "--diabetes", "yes"]).status == 0)
        #expect(try CommandTests.mode(s.db) == 0o600)
        #expect(try CommandTests.mode(s.dir.appendingPathComponent("store").path) == 0o700)
        let again = try s.abi(["patients", "add", "MRN-1"])
        #expect(again.status == 65 && again.stderr.contains("already in the store"))
        let badDate = try s.abi(["patients", "add", "MRN-2", "--birth-date", "1950-02-30"])
        #expect(badDate.status == 64 && !badDate.stderr.contains("1950"), "no patient values in error lines: \(badDate.stderr)")
        #expect(try s.abi(["patients", "add", "MRN-2", "--sex", "f"]).status == 64)
        #expect(try s.abi(["patients", "add", "MRN-2", "--name", String(repeating: "x", count: 201)]).status == 64)
        #expect(try s.abi(["patients", "add", "MRN\n2"]).status == 64)
        #expect(try s.abi(["patients", "list"]).stdout == "MRN-1\tDoe, Jane\t1950-04-02\tfemale\n")
        let show = try s.abi(["patients", "show", "MRN-1"])
        #expect(show.status == 0 && show.stdout.contains("diabetes yes"))
        #expect(try s.abi(["patients", "show", "NOBODY"]).status == 66)
        // The store can also be named with --db.
        let other = s.dir.appendingPathComponent("other.sqlite").path
        #expect(try CommandTests.abi(["patients", "add", "X-1", "--db", other]).status == 0)
        #expect(try CommandTests.abi(["patients", "list", "--db", other]).stdout.hasPrefix("X-1\t"))
    }

    @Test("An exam file without a date calculates and reports (\"date not recorded\"), but the store refuses it naming exam.performedAt")
    func undatedExam() throws {
        let s = try Session()
        let text = try String(contentsOfFile: s.sample("pad"), encoding: .utf8)
        let undated = text.replacingOccurrences(of: #""performedAt": "2026-11-26T09:30:00Z","#, with: "")
        #expect(undated != text)
        let file = s.dir.appendingPathComponent("undated.exam.json")
        try undated.write(to: file, atomically: true, encoding: .utf8)
        #expect(try s.abi(["calc", file.path]).status == 0)
        let report = try s.abi(["report", file.path])
        #expect(report.status == 0 && report.stdout.contains("date not recorded"), "\(report.stderr)")
        let stored = try s.abi(["exams", "import", file.path])
        #expect(stored.status == 65)
        #expect(stored.stderr.contains("undated.exam.json: exam.performedAt"), "\(stored.stderr)")
    }

    @Test("A command that only reads never creates a store (66, no store at PATH); one that creates it says so once; another program's database is refused (65)")
    func storeOpening() throws {
        let s = try Session()
        for args in [["exams", "list"], ["patients", "list"], ["history", "P"], ["exams", "show", "1"], ["exams", "finalize", "1", "--by", "Dr"]] {
            let run = try s.abi(args)
            #expect(run.status == 66 && run.stderr.contains("no store at \(s.db)"), "\(args): \(run.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: s.dir.appendingPathComponent("store").path))
        let empty = s.dir.appendingPathComponent("empty.sqlite").path
        _ = FileManager.default.createFile(atPath: empty, contents: nil)
        let onEmpty = try CommandTests.abi(["exams", "finalize", "1", "--by", "Dr", "--db", empty])
        #expect(onEmpty.status == 66 && onEmpty.stderr.contains("the file is empty"))
        #expect(try FileManager.default.attributesOfItem(atPath: empty)[.size] as? Int == 0)
        let first = try s.abi(["patients", "add", "P"])
        #expect(first.status == 0 && first.stderr.contains("created a new store at \(s.db)"))
        let second = try s.abi(["patients", "add", "Q"])
        #expect(second.status == 0 && !second.stderr.contains("created"))
        let foreign = s.dir.appendingPathComponent("other.sqlite").path
        #expect(try CommandTests.run(URL(fileURLWithPath: "/usr/bin/python3"), ["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('create table customers(id)'); c.commit()", foreign]).status == 0)
        let refused = try CommandTests.abi(["exams", "list", "--db", foreign])
        #expect(refused.status == 65 && refused.stderr.contains("is not an abi store"), "\(refused.stderr)")
    }

    @Test("A read-only store (file and folder, another user) can still be read and is never written; the permissions are reported",
          .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")))
    func readOnlyStore() throws {
        let s = try Session()
        #expect(try s.abi(["exams", "import", s.sample("pad")]).status == 0)
        let folder = s.dir.appendingPathComponent("store").path
        chmod(s.dir.path, 0o755)
        chmod(folder, 0o555)
        chmod(s.db, 0o444)
        defer { chmod(folder, 0o700) }
        let before = try Data(contentsOf: URL(fileURLWithPath: s.db))
        func asNobody(_ arguments: [String]) throws -> CommandTests.Run {
            try CommandTests.run(URL(fileURLWithPath: "/usr/bin/setpriv"), ["--reuid=65534", "--regid=65534", "--clear-groups", CommandTests.binary.path] + arguments + ["--db", s.db])
        }
        let list = try asNobody(["exams", "list"])
        #expect(list.status == 0 && list.stdout.contains("DEMO-0002"), "\(list.stderr)")
        #expect(list.stderr.contains("can be read by other users (mode 444)"))
        #expect(try asNobody(["exams", "show", "1"]).status == 0)
        let sign = try asNobody(["exams", "finalize", "1", "--by", "Dr A"])
        #expect(sign.status == 74 && sign.stderr.contains("permission denied"), "\(sign.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: s.db)) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["abi.sqlite"])
    }

    /// Whether this machine lets the tests mount a small tmpfs (root with CAP_SYS_ADMIN), to fill a disk.
    static let canMountTmpfs: Bool = {
        guard getuid() == 0, let dir = try? CommandTests.temporaryDirectory() else { return false }
        guard (try? CommandTests.run(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir.path]))?.status == 0 else { return false }
        _ = try? CommandTests.run(URL(fileURLWithPath: "/bin/umount"), [dir.path])
        return true
    }()

    @Test("A full disk is named as such: opening the store, and abi enter (which says it once and puts the exam on standard output)",
          .enabled(if: StoreCommandTests.canMountTmpfs))
    func fullDisk() throws {
        let s = try Session()
        let disk = s.dir.appendingPathComponent("disk").path
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        #expect(try CommandTests.run(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=1m", "tmpfs", disk]).status == 0)
        defer { _ = try? CommandTests.run(URL(fileURLWithPath: "/bin/umount"), [disk]) }
        let db = disk + "/abi.sqlite"
        #expect(try CommandTests.abi(["exams", "import", s.sample("pad"), "--db", db]).status == 0)
        _ = try CommandTests.run(URL(fileURLWithPath: "/bin/dd"), ["if=/dev/zero", "of=\(disk)/fill", "bs=4k"])
        let export = try CommandTests.abi(["exams", "export", "1", "--db", db, "-o", s.dir.appendingPathComponent("e.json").path])
        #expect(export.status == 74 && export.stderr.contains("the disk is full"), "\(export.stderr)")
        let answers = ["132/80", "110", "a", "n 250", "x wound dressing", "128/80", "n", ""].joined(separator: "\n") + "\n"
        let enter = try CommandTests.abi(["enter", "--patient", "P-1", "-o", disk + "/e.exam.json", "--performed-at", "2026-11-26T12:00:00Z"], stdin: answers)
        #expect(enter.status == 73)
        #expect(enter.stderr.components(separatedBy: "No space left on device").count == 2, "said once: \(enter.stderr)")
        #expect(enter.stdout.contains("\"format\": \"abi-exam/1\""))
    }

    @Test("The audit trail: a report is audited only once written; with USER and LOGNAME empty the actor is the login name from the password database")
    func auditActorAndExport() throws {
        let s = try Session()
        #expect(try s.abi(["exams", "import", s.sample("pad")]).status == 0)
        let existing = s.dir.appendingPathComponent("report.txt").path
        try "keep".write(toFile: existing, atomically: true, encoding: .utf8)
        #expect(try s.abi(["report", "1", "-o", existing]).status == 73)
        let env = ["ABI_DB": s.db, "ABI_OPERATOR": "", "USER": "", "LOGNAME": ""]
        #expect(try CommandTests.run(CommandTests.binary, ["report", "1", "-o", s.dir.appendingPathComponent("new.txt").path], environment: env).status == 0)
        let rows = try CommandTests.run(URL(fileURLWithPath: "/usr/bin/python3"), ["-c",
            "import sqlite3,sys; print('\\n'.join(a+'|'+b for a,b in sqlite3.connect(sys.argv[1]).execute(\"select action, actor from audit where action='exam-exported' order by id\")))", s.db])
        let login = String(cString: getpwuid(getuid())!.pointee.pw_name)
        #expect(rows.stdout.split(separator: "\n") == ["exam-exported|\(login)"], "\(rows.stdout) \(rows.stderr)")
    }

    @Test("Importing the same exam file again is refused naming the stored exam (65), unless --allow-duplicate")
    func duplicateImport() throws {
        let s = try Session()
        #expect(try s.abi(["exams", "import", s.sample("pad")]).stdout == "1\n")
        let again = try s.abi(["exams", "import", s.sample("normal"), s.sample("pad")])
        #expect(again.status == 65 && again.stderr.contains("pad.exam.json: the same exam (patient, time and readings) is already stored as exam 1"), "\(again.stderr)")
        #expect(again.stderr.contains("nothing was stored") && !again.stderr.contains("DEMO"))
        #expect(try s.abi(["exams", "list"]).stdout.split(separator: "\n").count == 2)  // header + exam 1
        #expect(try s.abi(["exams", "import", "--allow-duplicate", s.sample("pad")]).status == 0)
    }

    @Test("abi audit prints the trail, by patient, by exam and from a date; a bad date is a usage error")
    func auditCommand() throws {
        let s = try Session()
        #expect(try s.abi(["exams", "import", s.sample("pad"), s.sample("normal")]).status == 0)
        #expect(try s.abi(["exams", "finalize", "1", "--by", "Dr A"]).status == 0)
        let all = try s.abi(["audit"])
        #expect(all.status == 0)
        let actions = all.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: " ", omittingEmptySubsequences: true)[2] }
        #expect(actions == ["patient-added", "exam-imported", "patient-added", "exam-imported", "exam-finalized"], "\(all.stdout)")
        #expect(all.stdout.contains("nurse-1") && all.stdout.contains("signed by Dr A"))
        let patient = try s.abi(["audit", "--patient", "DEMO-0001"])
        #expect(patient.stdout.split(separator: "\n").count == 3 && !patient.stdout.contains("DEMO-0002"))
        #expect(try s.abi(["audit", "--exam", "1"]).stdout.split(separator: "\n").count == 3)
        #expect(try s.abi(["audit", "--since", "2999-01-01"]).stdout.split(separator: "\n").count == 1)
        #expect(try s.abi(["audit", "--since", "yesterday"]).status == 64)
    }

    @Test("abi patients edit changes only what is given, audited by field name; a signed patient's known details stay")
    func editPatient() throws {
        let s = try Session()
        #expect(try s.abi(["patients", "add", "MRN-7", "--name", "Doe, Jane"]).status == 0)
        let edit = try s.abi(["patients", "edit", "MRN-7", "--birth-date", "1950-04-02", "--diabetes", "yes"])
        #expect(edit.status == 0 && edit.stderr.contains("patient changed: birthDate, diabetes"), "\(edit.stderr)")
        let shown = try s.abi(["patients", "show", "MRN-7"]).stdout
        #expect(shown.contains("Doe, Jane") && shown.contains("Born       1950-04-02") && shown.contains("diabetes yes"), "\(shown)")
        let audit = try s.abi(["audit", "--patient", "MRN-7"]).stdout
        #expect(audit.contains("patient-edited") && audit.contains("changed: birthDate, diabetes") && !audit.contains("1950"))
        #expect(try s.abi(["patients", "edit", "MRN-7"]).status == 64)
        #expect(try s.abi(["patients", "edit", "NOBODY", "--sex", "female"]).status == 66)
        // A signed exam shows its patient's details: they are not changed afterwards.
        #expect(try s.abi(["exams", "import", s.sample("pad")]).status == 0)
        #expect(try s.abi(["exams", "finalize", "1", "--by", "Dr A"]).status == 0)
        let signed = try s.abi(["patients", "edit", "DEMO-0002", "--name", "Someone, Else"])
        #expect(signed.status == 65 && signed.stderr.contains("signed exam"), "\(signed.stderr)")
    }

    @Test("abi exams discard: kept and listed as discarded, shown with its reason, not reported or exported; a reason is needed")
    func discardCommand() throws {
        let s = try Session()
        #expect(try s.abi(["exams", "import", s.sample("pad"), s.sample("normal")]).status == 0)
        #expect(try s.abi(["exams", "discard", "1"]).status == 64)
        #expect(try s.abi(["exams", "discard", "1", "--reason", "  "]).status == 64)
        let run = try s.abi(["exams", "discard", "1", "--reason", "wrong patient selected"])
        #expect(run.status == 0, "\(run.stderr)")
        let list = try s.abi(["exams", "list"]).stdout.split(separator: "\n")
        #expect(list.count == 3 && list.contains { $0.hasPrefix("1 ") && $0.contains("discarded") })
        #expect(try s.abi(["exams", "show", "1"]).stdout.contains("DISCARDED (wrong patient selected)"))
        #expect(try s.abi(["report", "1"]).status == 65)
        #expect(try s.abi(["exams", "export", "1"]).status == 65)
        let all = try s.abi(["report", "--all", "--format", "csv"])
        #expect(all.status == 0 && !all.stdout.contains("DEMO-0002") && all.stdout.contains("DEMO-0001"))
        #expect(try s.abi(["exams", "discard", "9", "--reason", "x"]).status == 66)
    }

    @Test("Exams: import, list, show json (abi-exam/1 and abi-result/1), finalize, export, amend; final is final")
    func exams() throws {
        let s = try Session()
        let imported = try s.abi(["exams", "import", s.sample("pad"), s.vector("v07-absent-dp")])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout == "1\n2\n")
        let list = try s.abi(["exams", "list"])
        #expect(list.stdout.contains("DEMO-0002") && list.stdout.contains("0.53 abnormal") && list.stdout.contains("V07"))

        let show = try s.abi(["exams", "show", "1", "--format", "json"])
        let json = try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as! [String: Any]
        #expect(json["status"] as? String == "preliminary")
        #expect((json["exam"] as? [String: Any])?["format"] as? String == "abi-exam/1")
        let result = json["result"] as? [String: Any]
        #expect(result?["format"] as? String == "abi-result/1")
        #expect((((result?["legs"] as? [String: Any])?["right"] as? [String: Any])?["abi"] as? NSNumber)?.doubleValue == 0.53)

        #expect(try s.abi(["exams", "finalize", "1", "--by", "Dr A. Smith"]).status == 0)
        let twice = try s.abi(["exams", "finalize", "1", "--by", "Dr B"])
        #expect(twice.status == 65 && twice.stderr.contains("already final"))
        #expect(try s.abi(["exams", "show", "1"]).stdout.contains("final, signed by Dr A. Smith"))

        let exported = s.dir.appendingPathComponent("e1.exam.json")
        #expect(try s.abi(["exams", "export", "1", "-o", exported.path]).status == 0)
        #expect(try CommandTests.mode(exported.path) == 0o600)
        var text = try String(contentsOf: exported, encoding: .utf8)
        #expect(text.contains("\"systolic\": 78"))
        text = text.replacingOccurrences(of: "\"systolic\": 78", with: "\"systolic\": 84")
        try text.write(to: exported, atomically: true, encoding: .utf8)
        let amended = try s.abi(["exams", "amend", "1", "--from", exported.path, "--reason", "right PT re-measured"])
        #expect(amended.status == 0 && amended.stdout == "3\n", "\(amended.stderr)")
        let after = try s.abi(["exams", "list", "--patient", "DEMO-0002"]).stdout
        #expect(after.contains("(amended by 3)") && after.contains("0.58 abnormal"))
        #expect(try s.abi(["exams", "amend", "1", "--from", exported.path, "--reason", "x"]).status == 65)  // exam 1 was amended already
        let noReason = try s.abi(["exams", "amend", "3", "--from", exported.path])
        #expect(noReason.status == 64 && noReason.stderr.contains("--reason"), "\(noReason.stderr)")
        let noChange = try s.abi(["exams", "amend", "3", "--from", exported.path, "--reason", "again"])
        #expect(noChange.status == 65 && noChange.stderr.contains("changes nothing"), "\(noChange.stderr)")
        #expect(try s.abi(["exams", "show", "99"]).status == 66)

        // A bad file among good ones stores nothing and is named.
        let broken = s.dir.appendingPathComponent("broken.exam.json")
        try "{\"format\": \"abi-exam/1\"}".write(to: broken, atomically: true, encoding: .utf8)
        let bad = try s.abi(["exams", "import", s.vector("v01-normal-arms-equal"), broken.path])
        #expect(bad.status == 65 && bad.stderr.contains("broken.exam.json: patient") && bad.stderr.contains("nothing was stored"))
        #expect(!(try s.abi(["exams", "list"]).stdout.contains("V01")))
        // A file the store refuses (the patient's birth date contradicts the store) is named too.
        let clash = s.dir.appendingPathComponent("clash.exam.json")
        try String(contentsOfFile: s.sample("pad"), encoding: .utf8).replacingOccurrences(of: "1949-08-02", with: "1950-01-01")
            .write(to: clash, atomically: true, encoding: .utf8)
        let refused = try s.abi(["exams", "import", s.vector("v01-normal-arms-equal"), clash.path])
        #expect(refused.status == 65 && refused.stderr.contains("clash.exam.json: the exam's patient birthDate differs"), "\(refused.stderr)")
        #expect(!(try s.abi(["exams", "list"]).stdout.contains("V01")))
    }

    @Test("History: ABI per leg over time, R18 against the exam before")
    func history() throws {
        let s = try Session()
        let dir = s.dir.appendingPathComponent("exams")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        // The same patient three times, the right ankle falling: ABI 1.00, 0.95 (within 0.08), 0.78 (a fall of 0.17).
        for (i, (day, ankle)) in [("2026-01-05", 120), ("2026-03-05", 114), ("2026-06-05", 94)].enumerated() {
            let text = """
                {"format": "abi-exam/1", "patient": {"id": "V01"}, "exam": {"performedAt": "\(day)T09:30:00Z"},
                 "readings": [{"site": "rightBrachial", "seq": 1, "systolic": 120}, {"site": "rightPosteriorTibial", "seq": 2, "systolic": \(ankle)},
                              {"site": "rightDorsalisPedis", "seq": 3, "systolic": \(ankle)}, {"site": "leftPosteriorTibial", "seq": 4, "systolic": 125},
                              {"site": "leftDorsalisPedis", "seq": 5, "systolic": 124}, {"site": "leftBrachial", "seq": 6, "systolic": 118}]}
                """
            try text.write(to: dir.appendingPathComponent("\(i).exam.json"), atomically: true, encoding: .utf8)
        }
        #expect(try s.abi(["exams", "import", dir.path]).status == 0)
        let history = try s.abi(["history", "V01"])
        #expect(history.status == 0, "\(history.stderr)")
        let lines = history.stdout.split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("1 ") || $0.hasPrefix("2 ") || $0.hasPrefix("3 ") }.count == 3)
        #expect(history.stdout.contains("WARNING abi-change: Right ABI fell from 0.95 on 2026-03-05 to 0.78 on 2026-06-05"))
        #expect(history.stdout.components(separatedBy: "abi-change").count == 2)
        #expect(try s.abi(["history", "NOBODY"]).status == 66)
    }

    @Test("Reports from the store: one exam by id, and --all of the store, file names from sanitised ids, 0600 in 0700")
    func reports() throws {
        let s = try Session()
        var hostile = try String(contentsOfFile: s.vector("v08-severe-clti-range"), encoding: .utf8)
        hostile = hostile.replacingOccurrences(of: "\"V08\"", with: "\"../../etc/x\"")
        let file = s.dir.appendingPathComponent("hostile.exam.json")
        try hostile.write(to: file, atomically: true, encoding: .utf8)
        #expect(try s.abi(["exams", "import", file.path, s.sample("pad")]).status == 0)
        #expect(try s.abi(["exams", "finalize", "2", "--by", "Dr A. Smith"]).status == 0)

        let one = try s.abi(["report", "2", "--format", "text"])
        #expect(one.status == 0 && one.stdout.contains("final, signed by Dr A. Smith") && one.stdout.contains("DEMO-0002"))
        let fhir = try s.abi(["report", "2", "--format", "fhir"])
        #expect(fhir.stdout.contains("\"status\": \"final\""))

        let out = s.dir.appendingPathComponent("reports")
        let all = try s.abi(["report", "--all", "--out-dir", out.path, "--format", "pdf"])
        #expect(all.status == 0, "\(all.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(files == ["DEMO-0002-20261126-093000.pdf", "etc_x-20261126-093000.pdf"])
        #expect(try CommandTests.mode(out.path) == 0o700)
        #expect(try files.allSatisfy { try CommandTests.mode(out.appendingPathComponent($0).path) == 0o600 })
        #expect(!FileManager.default.fileExists(atPath: s.dir.appendingPathComponent("etc").path))

        let csvFile = s.dir.appendingPathComponent("research.csv")
        #expect(try s.abi(["report", "--all", "--format", "csv", "-o", csvFile.path]).status == 0)
        let csv = try String(contentsOf: csvFile, encoding: .utf8)
        #expect(csv.split(separator: "\r\n").count == 1 + 2 * 2)
        #expect(try s.abi(["report", "--all", "--format", "csv"]).stdout == csv)
    }

    @Test("S2: an amendment says so in every format (AMENDED with the reason; the old version SUPERSEDED), FHIR amended and HL7 C once signed")
    func amendmentsSaySo() throws {
        let s = try Session()
        #expect(try s.abi(["exams", "import", s.sample("pad")]).status == 0)
        #expect(try s.abi(["exams", "finalize", "1", "--by", "Dr A. Smith"]).status == 0)
        let exported = s.dir.appendingPathComponent("e1.exam.json")
        #expect(try s.abi(["exams", "export", "1", "-o", exported.path]).status == 0)
        try String(contentsOf: exported, encoding: .utf8).replacingOccurrences(of: "\"systolic\": 78", with: "\"systolic\": 84")
            .write(to: exported, atomically: true, encoding: .utf8)
        #expect(try s.abi(["exams", "amend", "1", "--from", exported.path, "--reason", "left DP transcription error"]).status == 0)
        // The words, whatever the format's line breaks.
        func words(_ text: String) -> String { text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\r" }).joined(separator: " ").replacingOccurrences(of: "\\n", with: " ") }
        for format in ["text", "html", "fhir", "hl7"] {
            let new = words(try s.abi(["report", "2", "--format", format]).stdout)
            #expect(new.contains("AMENDED: replaces the report of 20") && new.contains("(exam 1). Reason: left DP transcription error"), "\(format): \(new.prefix(600))")
            let old = words(try s.abi(["report", "1", "--format", format]).stdout)
            #expect(old.contains("SUPERSEDED by the amended report of 20") && old.contains("(exam 2): do not use this report"), "\(format)")
        }
        let pdf = s.dir.appendingPathComponent("old.pdf")
        #expect(try s.abi(["report", "1", "--format", "pdf", "-o", pdf.path]).status == 0)
        let text = try CommandTests.run(URL(fileURLWithPath: "/usr/bin/pdftotext"), [pdf.path, "-"]).stdout
        #expect(text.contains("SUPERSEDED by the amended report"), "\(text.prefix(400))")
        // Preliminary, the amendment is P; signed, it is a correction.
        #expect(try s.abi(["report", "2", "--format", "hl7"]).stdout.split(separator: "\r").first { $0.hasPrefix("OBR|") }?.hasSuffix("|P") == true)
        #expect(try s.abi(["exams", "finalize", "2", "--by", "Dr A. Smith"]).status == 0)
        let hl7 = try s.abi(["report", "2", "--format", "hl7"]).stdout
        let obr = hl7.split(separator: "\r").first { $0.hasPrefix("OBR|") }.map(String.init) ?? ""
        #expect(obr.hasSuffix("|C"), "\(obr)")
        #expect(hl7.split(separator: "\r").filter { $0.hasPrefix("OBX|") }.allSatisfy { $0.split(separator: "|", omittingEmptySubsequences: false)[11] == "C" })
        #expect(try s.abi(["report", "2", "--format", "fhir"]).stdout.contains("\"status\": \"amended\""))
        // Every message its own MSH-10; the exam's OBR-3 the same for the original and the correction.
        func field(_ message: String, _ segment: String, _ n: Int) -> String {
            let line = message.split(separator: "\r").first { $0.hasPrefix(segment + "|") } ?? ""
            let fields = line.split(separator: "|", omittingEmptySubsequences: false)
            return fields.count > n ? String(fields[n]) : ""
        }
        let first = try s.abi(["report", "1", "--format", "hl7"]).stdout
        let again = try s.abi(["report", "1", "--format", "hl7"]).stdout
        #expect(field(first, "MSH", 9) != field(again, "MSH", 9) && field(first, "MSH", 9) != field(hl7, "MSH", 9))
        #expect(field(first, "OBR", 3) == field(hl7, "OBR", 3) && !field(first, "OBR", 3).isEmpty)
    }

    @Test("Sign-off with a conclusion and a signature block in every format; without one, abi's draft from the result is used and said")
    func conclusionAndSignature() throws {
        let s = try Session()
        #expect(try s.abi(["exams", "import", s.sample("pad"), s.sample("normal")]).status == 0)
        let file = s.dir.appendingPathComponent("conclusion.txt")
        try "Moderate PAD of the right leg with rest pain outside the CLTI range.\nRefer to the vascular clinic; lumbar spine review.\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(try s.abi(["exams", "finalize", "1", "--by", "Dr K. Wiśniewska", "--role", "consultant angiologist", "--conclusion", "x", "--conclusion-file", file.path]).status == 64)
        let signed = try s.abi(["exams", "finalize", "1", "--by", "Dr K. Wiśniewska", "--role", "consultant angiologist", "--conclusion-file", file.path])
        #expect(signed.status == 0, "\(signed.stderr)")
        func words(_ text: String) -> String { text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\r" }).joined(separator: " ").replacingOccurrences(of: "\\n", with: " ") }
        for format in ["text", "html", "fhir", "hl7"] {
            let report = words(try s.abi(["report", "1", "--format", format]).stdout)
            #expect(report.contains("Refer to the vascular clinic; lumbar spine review."), "\(format)")
            #expect(report.contains("Signed by Dr K. Wiśniewska, consultant angiologist, 20") && report.contains(" UTC."), "\(format)")
        }
        let pdf = s.dir.appendingPathComponent("signed.pdf")
        #expect(try s.abi(["report", "1", "--format", "pdf", "-o", pdf.path]).status == 0)
        #expect(words(try CommandTests.run(URL(fileURLWithPath: "/usr/bin/pdftotext"), [pdf.path, "-"]).stdout).contains("Refer to the vascular clinic"))
        // No conclusion given: the draft from the result is used, and printed.
        let drafted = try s.abi(["exams", "finalize", "2", "--by", "Dr B"])
        #expect(drafted.status == 0 && drafted.stderr.contains("drafted from the result") && drafted.stderr.contains("Right leg: no peripheral artery disease at rest, ABI 1."), "\(drafted.stderr)")
        #expect(try s.abi(["report", "2"]).stdout.contains("CONCLUSION"))
        // A preliminary report has no signature block.
        #expect(try s.abi(["exams", "import", s.vector("v01-normal-arms-equal")]).status == 0)
        #expect(!(try s.abi(["report", "3"]).stdout.contains("Signed by")))
    }

    @Test("R5: the research CSV has exam id, version, status, age, sex and diabetes, times in UTC, no discarded or superseded exam, and --pseudonymise writes no MRN")
    func researchCSV() throws {
        let s = try Session()
        let offset = s.dir.appendingPathComponent("offset.exam.json")
        try String(contentsOfFile: s.sample("normal"), encoding: .utf8).replacingOccurrences(of: "2026-11-26T08:45:00Z", with: "2026-11-26T09:45:00+01:00")
            .write(to: offset, atomically: true, encoding: .utf8)
        #expect(try s.abi(["exams", "import", s.sample("pad"), offset.path, s.sample("absent-signals")]).status == 0)
        #expect(try s.abi(["exams", "discard", "3", "--reason", "wrong patient"]).status == 0)
        let site = s.dir.appendingPathComponent("site.json")
        try #"{"format": "abi-site/1", "research": {"pseudonymKey": "a long secret key of the clinic"}}"#.write(to: site, atomically: true, encoding: .utf8)
        let run = try CommandTests.run(CommandTests.binary, ["report", "--all", "--format", "csv", "--pseudonymise"],
                                       environment: ["ABI_DB": s.db, "ABI_SITE": site.path])
        #expect(run.status == 0, "\(run.stderr)")
        let rows = run.stdout.split(separator: "\r\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows[0].prefix(8) == ["patient_id", "exam_id", "version", "exam_status", "performed_at", "age_at_exam", "sex", "diabetes"])
        #expect(rows.count == 5)  // the header, two legs of two exams (the discarded one left out)
        #expect(!run.stdout.contains("DEMO-"))
        #expect(rows[1][0].hasPrefix("P-") && rows[1][0] == rows[2][0] && rows[1][0] != rows[3][0])
        #expect(rows.dropFirst().allSatisfy { $0[4].hasSuffix("Z") })
        #expect(rows.contains { $0[4] == "2026-11-26T08:45:00.000Z" })  // 09:45 +01:00 in UTC
        #expect(rows.dropFirst().allSatisfy { Int($0[5]) != nil && ["1", "2"].contains($0[1]) && $0[2] == "1" && $0[3] == "preliminary" })
        let plain = try s.abi(["report", "--all", "--format", "csv", "--pseudonymise"])
        #expect(plain.status == 64 && plain.stderr.contains("research.pseudonymKey"))
    }
}

@Suite struct OutputFileTests {
    @Test("-o into a pipe or device writes into it and leaves it what it was (-o /dev/null must never replace /dev/null)")
    func specialFiles() throws {
        let dir = try CommandTests.temporaryDirectory()
        let fifo = dir.appendingPathComponent("pipe").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = Thread {
            let fd = open(fifo, O_RDONLY)
            var data = [UInt8]()
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(fd, &chunk, chunk.count)
                if n <= 0 { break }
                data += chunk[0..<n]
            }
            close(fd)
            try? String(decoding: data, as: UTF8.self).write(toFile: fifo + ".read", atomically: true, encoding: .utf8)
        }
        reader.start()
        let exam = CommandTests.packageDirectory.appendingPathComponent("samples/pad.exam.json").path
        #expect(try CommandTests.abi(["report", exam, "--format", "csv", "-o", fifo, "--force"]).status == 0)
        var info = stat()
        #expect(stat(fifo, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO)
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: fifo + ".read") { usleep(20_000) }
        #expect((try? String(contentsOfFile: fifo + ".read", encoding: .utf8))?.hasPrefix("patient_id,") == true)
    }

    @Test("S1: a signed report does not change when an older exam of the patient is imported (and signed) afterwards, in any format", arguments: ["text", "html", "csv", "fhir", "hl7"])
    func signedReportIsFrozen(_ format: String) throws {
        let s = try StoreCommandTests.Session()
        let dir = s.dir
        let current = dir.appendingPathComponent("current.exam.json")
        var exam = try String(contentsOfFile: s.sample("pad"), encoding: .utf8)
        // The demo exam without its own prior list: the store's exams are its only history.
        if let start = exam.range(of: "\"prior\""), let end = exam.range(of: "]", range: start.upperBound..<exam.endIndex) {
            exam.replaceSubrange(start.lowerBound...end.lowerBound, with: "\"prior\": []")
        }
        try exam.write(to: current, atomically: true, encoding: .utf8)
        #expect(try s.abi(["exams", "import", current.path]).status == 0)
        #expect(try s.abi(["exams", "finalize", "1", "--by", "Dr K. Wiśniewska"]).status == 0)
        let before = try s.abi(["report", "1", "--format", format])
        #expect(before.status == 0, "\(before.stderr)")
        let older = dir.appendingPathComponent("older.exam.json")
        try exam.replacingOccurrences(of: "2026-11-26T09:30:00Z", with: "2026-05-01T09:30:00Z").replacingOccurrences(of: "\"systolic\": 78", with: "\"systolic\": 128")
            .write(to: older, atomically: true, encoding: .utf8)
        #expect(try s.abi(["exams", "import", older.path]).status == 0)
        #expect(try s.abi(["exams", "finalize", "2", "--by", "Dr K. Wiśniewska"]).status == 0)
        let after = try s.abi(["report", "1", "--format", format])
        // HL7 and FHIR carry the time they were made; everything else is the same.
        func stable(_ text: String) -> String {
            text.split(separator: "\n").filter { !$0.hasPrefix("MSH|") && !$0.contains("\"timestamp\"") && !$0.contains("Generated") }.joined(separator: "\n")
        }
        #expect(stable(after.stdout) == stable(before.stdout), "\(format)")
        #expect(!after.stdout.contains("ABI fell") && !after.stdout.contains("abi-change"))
    }
}