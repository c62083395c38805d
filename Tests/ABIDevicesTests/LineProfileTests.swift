import ABICore
import ABIDevices
import Testing

@Suite struct LineProfileTests {
    static func codec(_ name: String) throws -> any DeviceCodec {
        try DeviceProfile.builtIn(name).makeCodec()
    }

    static func lines(_ name: String, _ text: String, _ chunking: Chunking = .whole) throws -> [DecodedRecord] {
        guard var codec = try codec(name) as? LineCodec else { Issue.record("not a line codec"); return [] }
        return decode(&codec, Array(text.utf8), chunking)
    }

    @Test("Doppler manometer: P=<mmHg> lines and MARK, with CR, LF or CRLF, in any chunking", arguments: Chunking.allCases)
    func doppler(_ chunking: Chunking) throws {
        let records = try LineProfileTests.lines("doppler-manometer", "P=180\rP=150\nP=131\r\n\r\n\nMARK\r\nP=120\nP=abc\nP=999\n", chunking)
        #expect(records.map(\.cuff?.mmHg) == [180, 150, 131, 131, 120])
        #expect(records.map(\.cuff?.mark) == [false, false, false, true, false])
        #expect(records[3].raw == Array("MARK".utf8))
    }

    @Test("A mark before any cuff pressure records nothing")
    func markFirst() throws {
        #expect(try LineProfileTests.lines("doppler-manometer", "MARK\n").isEmpty)
    }

    @Test("Masimo ASCII 1: the published line; -- and --.- are missing")
    func masimo() throws {
        let text = "02/22/16 22:47:45 SN=0000056661 SPO2=098% BPM=097 PI=03.60% SPCO=--.-% SPMET=--.-% DESAT=-- PIDELTA=+-- ALARM=0000 EXC=000800\r\n"
            + "02/22/16 22:47:46 SN=0000056661 SPO2=--% BPM=---% PI=--.--%\r\n"
        let records = try LineProfileTests.lines("masimo-ascii1", text)
        #expect(records.count == 2)
        #expect(records[0].oximetry?.spo2 == 98)
        #expect(records[0].oximetry?.pulseRate == 97)
        #expect(records[0].oximetry?.perfusion?.description == "3.6")
        #expect(records[1].oximetry?.hasValue == false)
    }

    @Test("Nonin ASCII: with and without the leading time and trailing flag; --- is missing")
    func noninAscii() throws {
        let records = try LineProfileTests.lines("nonin-ascii", "SPO2=097 HR=072\r\n12:00:01 SPO2=096 HR=071 F\r\nSPO2=--- HR=---*\r\n")
        #expect(records.map(\.oximetry?.spo2) == [97, 96, nil])
        #expect(records.map(\.oximetry?.pulseRate) == [72, 71, nil])
    }

    @Test("Built-in patterns match whole lines: a line glued to the next is not read as a pulse of 7")
    func anchored() throws {
        let nonin = try LineProfileTests.lines("nonin-ascii", "SPO2=097 HR=07SPO2=097 HR=072\r\nSPO2=097 HR=072\r\n")
        #expect(nonin.map(\.oximetry?.pulseRate) == [72])
        let masimo = try LineProfileTests.lines("masimo-ascii1", "02/22/16 22:47:45 SPO2=098% BPM=0902/22/16 22:47:46 SPO2=097% BPM=091 PI=1.2%\r\n")
        #expect(masimo.isEmpty)
    }

    @Test("A mark right after a cut-short pressure (P=12 of P=120) records nothing; after a confirmed one it records that pressure")
    func markNeedsConfirmedPressure() throws {
        let cut = try LineProfileTests.lines("doppler-manometer", "P=124\r\nP=122\r\nP=12\r\nMARK\r\n")
        let marks = cut.filter { $0.cuff?.mark == true }
        #expect(marks.isEmpty)
        let fine = try LineProfileTests.lines("doppler-manometer", "P=124\r\nP=122\r\nP=12\r\nP=119\r\nP=118\r\nMARK\r\n")
        #expect(fine.filter { $0.cuff?.mark == true }.map(\.cuff?.mmHg) == [118])
    }

    @Test("Masimo: PI without %, and the ALARM and EXC bits in words (sensor off is never a silent status)")
    func masimoStatus() throws {
        let records = try LineProfileTests.lines("masimo-ascii1", "02/22/16 22:47:45 SPO2=--% BPM=--- PI=00.55 ALARM=0010 EXC=000021\r\n02/22/16 22:47:46 SPO2=097% BPM=071 PI=00.55 ALARM=0000 EXC=000200\r\n")
        #expect(records.count == 2)
        #expect(records[0].oximetry?.perfusion?.description == "0.55")
        #expect(records[0].oximetry?.status == ["alarm active", "no sensor", "sensor off"])
        #expect(records[0].oximetry?.spo2 == nil)
        #expect(records[1].oximetry?.spo2 == 97)
        #expect(records[1].oximetry?.status == ["exception 0x000200"])
    }

    @Test("A site profile's backtracking pattern is refused when loaded; named groups may be written (?P<n>…) or (?'n'…)")
    func boundedPatterns() throws {
        for pattern in [#"^(a+)+$"#, #"^(M+)+$"#, #"^(\\d+)*X$"#] {
            let text = "{\(LineProfileTests.header),\"records\":[{\"kind\":\"mark\",\"pattern\":\"\(pattern)\"}]}"
            let error = #expect(throws: InputError.self, "\(pattern)") { try LineProfile.decode(Array(text.utf8)) }
            #expect(error?.description.contains("takes too long") == true, "\(String(describing: error))")
        }
        for pattern in [#"^P=(?P<pressure>\\d{1,3})$"#, #"^P=(?'pressure'\\d{1,3})$"#] {
            let text = "{\(LineProfileTests.header),\"records\":[{\"kind\":\"cuffPressure\",\"pattern\":\"\(pattern)\"}]}"
            var codec = LineCodec(try LineProfile.decode(Array(text.utf8)))
            let fed = codec.feed(Array("P=120\n".utf8))
            #expect(fed.map { $0.cuff?.mmHg } == [120])
        }
    }

    @Test("Even a pattern that passes the load check stops at the match limit on a hostile line: the line is counted, decoding goes on")
    func matchLimitPerLine() throws {
        let pattern = try LinePattern(#"^(?:a|aa)+b$"#)
        if case .limitReached = pattern.match(Array((String(repeating: "a", count: 1000) + "cb").utf8)) {} else { Issue.record("no limit reached") }
        if case .matched = pattern.match(Array("aaab".utf8)) {} else { Issue.record("no match") }
    }

    @Test("Overlong lines and unknown lines are counted, not decoded")
    func overlong() throws {
        guard var codec = try LineProfileTests.codec("doppler-manometer") as? LineCodec else { return }
        let records = decode(&codec, Array((String(repeating: "9", count: 5000) + "\nnoise\nP=100\n").utf8), .random)
        #expect(records.map(\.cuff?.mmHg) == [100])
        #expect(codec.statistics.framingErrors == 2)
    }

    static let header = #""format":"abi-profile/1","name":"site-manometer""#

    @Test("A site's own profile: blood pressure in kPa, device errors")
    func custom() throws {
        let text = "{\(LineProfileTests.header),\"records\":[" + #"{"kind":"bloodPressure","unit":"kPa","pattern":"^BP (?<systolic>[0-9.]+)/(?<diastolic>[0-9.]+) HR (?<pulseRate>\\d+)$"},"#
            + #"{"kind":"deviceError","pattern":"^ERR (?<code>\\w+) (?<message>.*)$"}]}"#
        let profile = try LineProfile.decode(Array(text.utf8))
        var codec = LineCodec(profile)
        let records = codec.feed(Array("BP 16.0/10.7 HR 64\nERR E4 cuff leak\nBP 40.5/10.0 HR 64\n".utf8))
        #expect(records[0].bloodPressure?.systolic.mmHg == 120)
        #expect(records[0].bloodPressure?.diastolic?.mmHg == 80)
        #expect(records[0].bloodPressure?.pulseRate == 64)
        #expect(records[1].error?.code == "E4")
        #expect(records[1].error?.message == "cuff leak")
        #expect(records[2].error?.code == "implausible")  // 40.5 kPa = 304 mmHg
    }

    @Test("Invalid profiles are rejected naming the key", arguments: [
        (#"{"format":"abi-profile/1"}"#, "name", "is required"),
        (#"{"format":"abi-profile/2","name":"x"}"#, "format", "abi-profile/1"),
        ("{\(header)}", "records", "at least one"),
        ("{\(header),\"records\":[{\"kind\":\"cuffPressure\",\"pattern\":\"^P=(\\\\d+)$\"}]}", "records[0].pattern", "needs the named group (?<pressure>"),
        ("{\(header),\"records\":[{\"kind\":\"cuffPressure\",\"pattern\":\"^P=(?<pressure>\\\\d+\"}]}", "records[0].pattern", "not a usable regular expression"),
        ("{\(header),\"records\":[{\"kind\":\"oximetry\",\"pattern\":\"(?<sat>\\\\d+)\"}]}", "records[0].pattern", "not a field of oximetry"),
        ("{\(header),\"records\":[{\"kind\":\"temperature\",\"pattern\":\"x\"}]}", "records[0].kind", "unknown record kind"),
        ("{\(header),\"serial\":{\"baud\":9601},\"records\":[{\"kind\":\"mark\",\"pattern\":\"M\"}]}", "serial.baud", "not a supported speed"),
        ("{\(header),\"serial\":{\"parity\":\"mark\"},\"records\":[{\"kind\":\"mark\",\"pattern\":\"M\"}]}", "serial.parity", "unknown parity"),
        ("{\(header),\"match\":{\"vendorId\":\"0x403\"},\"records\":[{\"kind\":\"mark\",\"pattern\":\"M\"}]}", "match.vendorId", "not a USB id"),
        (#"{"format":"abi-profile/1","name":"Bad Name","records":[]}"#, "name", "lower-case"),
    ])
    func invalid(_ text: String, _ path: String, _ fragment: String) {
        do {
            _ = try LineProfile.decode(Array(text.utf8))
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.path == path, "\(error)")
            #expect(error.description.contains(fragment), "\(error)")
        }
    }

    @Test("Every built-in profile loads, with the serial settings docs/devices.md gives")
    func builtIns() throws {
        for name in BuiltInProfiles.names {
            let profile = try DeviceProfile.builtIn(name)
            #expect(profile.name == name)
        }
        #expect(try DeviceProfile.builtIn("contec-cms50-legacy").settings.description == "19200 8O1")
        #expect(try DeviceProfile.builtIn("suntech-advantage").settings.description == "9600 8N1")
        #expect(throws: InputError.self) { try DeviceProfile.builtIn("unknown-cuff") }
    }
}

@Suite struct ReadingTests {
    @Test("abi-reading/1 records: missing values left out, raw in lower-case hex")
    func jsonLines() {
        let bp = DeviceReading(time: Timestamp("2026-11-26T09:31:02.114Z"), profile: "suntech-advantage", port: "/dev/ttyUSB0", serial: "A50285BI",
                               content: .measurement(.bloodPressure(BloodPressure(systolic: Pressure(mmHg: 115)!, diastolic: Pressure(mmHg: 74),
                                                                                  map: Pressure(mmHg: 88), pulseRate: 85))),
                               raw: [0x3E, 0x18, 0xAB])
        #expect(bp.jsonLine == #"{"format":"abi-reading/1","time":"2026-11-26T09:31:02.114Z","profile":"suntech-advantage","port":"/dev/ttyUSB0","serial":"A50285BI","kind":"bloodPressure","systolic":115,"diastolic":74,"map":88,"pulseRate":85,"unit":"mmHg","status":[],"raw":"3e18ab"}"#)
        let ox = DeviceReading(time: nil, profile: "nonin-2", content: .measurement(.oximetry(Oximetry(spo2: nil, pulseRate: 60))), raw: [])
        #expect(ox.jsonLine == #"{"format":"abi-reading/1","profile":"nonin-2","kind":"oximetry","pulseRate":60,"status":[],"raw":""}"#)
        let event = DeviceReading(time: nil, profile: "nonin-2", content: .event(.disconnected))
        #expect(event.jsonLine.contains(#""kind":"deviceEvent","event":"disconnected""#))
    }

    @Test("Oximetry is reported at most once a second when times are known")
    func rateLimit() throws {
        var decoder = ReadingDecoder(profile: try DeviceProfile.builtIn("contec-cms50-legacy"))
        var kept: [DeviceReading] = []
        let start = Timestamp("2026-11-26T09:30:00Z")!.millisecondsSinceEpoch / 1000
        for tick in 0..<180 {  // 3 s at 60 Hz
            let ms = tick * 1000 / 60
            let time = Timestamp("2026-11-26T09:30:0\(ms / 1000).\(String(format3: ms % 1000))Z")!
            #expect(time.millisecondsSinceEpoch / 1000 - start == ms / 1000)
            kept += decoder.receive(ContecCMS50Legacy.packet(pulseRate: 70 + tick % 3, spo2: 97), at: time)
        }
        #expect(kept.count == 3)
        var untimed = ReadingDecoder(profile: try DeviceProfile.builtIn("contec-cms50-legacy"))
        let packets = Array(repeating: ContecCMS50Legacy.packet(pulseRate: 70, spo2: 97), count: ContecCMS50Legacy.lockPackets + 1).flatMap { $0 }
        #expect(untimed.receive(packets, at: nil).count == 2)
    }

    @Test("Within one second, a reading with values is not hidden by one without (the Masimo sample's valueless line)")
    func valuesWin() throws {
        var decoder = ReadingDecoder(profile: try DeviceProfile.builtIn("nonin-ascii"))
        var kept: [DeviceReading] = []
        for (ms, line) in [(100, "SPO2=--- HR=---"), (400, "SPO2=097 HR=072"), (700, "SPO2=096 HR=071"), (1100, "SPO2=--- HR=---"), (1200, "SPO2=095 HR=070")] {
            kept += decoder.receive(Array((line + "\r\n").utf8), at: Timestamp(millisecondsSinceEpoch: 1_795_000_000_000 + ms))
        }
        let values = kept.map { r -> Int? in if case .measurement(.oximetry(let o)) = r.content { return o.spo2 }; return nil }
        #expect(values == [nil, 97, nil, 95])
    }

    @Test("A 1 Hz oximeter whose lines come a little under a second apart loses none of them")
    func rateLimitKeepsEachSecond() throws {
        var decoder = ReadingDecoder(profile: try DeviceProfile.builtIn("nonin-ascii"))
        let start = Timestamp("2026-11-26T09:30:00.500Z")!.millisecondsSinceEpoch
        func time(_ ms: Int) -> Timestamp { Timestamp(millisecondsSinceEpoch: ms) }
        var kept = 0
        for line in 0..<10 {  // 990 to 1,010 ms apart: a fast clock and jitter
            let ms = start + line * 997 + (line % 2 == 0 ? 0 : 13)
            kept += decoder.receive(Array("SPO2=097 HR=072\r\n".utf8), at: time(ms)).count
        }
        #expect(kept == 10)
        // Two lines in the same second of the clock: the second one is not reported.
        #expect(decoder.receive(Array("SPO2=097 HR=072\r\n".utf8), at: time(start + 9 * 997 + 13 + 200)).isEmpty)
    }

    @Test("Raw logs: times and hex per line; bad lines are named")
    func rawLog() throws {
        let text = RawLog.header + " profile=nonin-2\n" + RawLog.line(Timestamp("2026-11-26T09:30:00.250Z")!, [0x3E, 0x05]) + "2026-11-26T09:30:00.300Z 0201ba\r\n"
        #expect(RawLog.isRawLog(Array(text.utf8)))
        let chunks = try RawLog.parse(Array(text.utf8))
        #expect(chunks.map(\.bytes) == [[0x3E, 0x05], [0x02, 0x01, 0xBA]])
        #expect(throws: InputError(path: "line 2", "the bytes are not an even number of hex digits")) {
            try RawLog.parse(Array("# abi-raw/1\n2026-11-26T09:30:00Z 3e0\n".utf8))
        }
        #expect(throws: InputError.self) { try RawLog.parse(Array("# abi-raw/1\nyesterday 3e\n".utf8)) }
    }
}

extension String {
    init(format3 value: Int) {
        self = value < 10 ? "00\(value)" : value < 100 ? "0\(value)" : "\(value)"
    }
}
