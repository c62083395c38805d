import ABICore
import ABIDevices
import ABIStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import ABIWeb

#if canImport(Glibc)
import Glibc
#endif

/// Live capture through the routes, against a simulated device on a real pseudo-terminal.
@Suite(.serialized) struct CaptureTests {
    /// A simulated device on a pty, linked at `link`, run on its own thread until `stop`.
    final class Simulator: @unchecked Sendable {
        let link: String
        private let stopPipe: [Int32]
        private let thread: Thread

        init(_ profile: String, scenario: SimulationScenario = .normal) throws {
            link = FileManager.default.temporaryDirectory.appendingPathComponent("abi-sim-\(UUID().uuidString)").path
            var fds: [Int32] = [-1, -1]
            _ = pipe(&fds)
            stopPipe = fds
            nonisolated(unsafe) let simulator = try DeviceSimulator(profile: profile, scenario: scenario, link: link)
            let stopFD = fds[0]
            thread = Thread { simulator.run(stopFD: stopFD) }
            thread.start()
        }

        func stop() {
            var byte: UInt8 = 1
            _ = write(stopPipe[1], &byte, 1)
            for _ in 0..<100 where !thread.isFinished { usleep(10_000) }
        }
    }

    static func openDescriptors() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0 }

    /// Waits (at most `seconds`) until `condition` holds.
    static func eventually(_ seconds: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(20_000)
        }
        return try condition()
    }

    @Test("A live capture with a Doppler manometer: the device list offers it, Mark takes the falling cuff pressure, typed values and absent go to their sites, a stop keeps it in progress, and it resumes and saves")
    func captureStopResumeSave() async throws {
        let simulator = try Simulator("doppler-manometer", scenario: .operatorMarks)  // no simulated foot switch racing the commands
        defer { simulator.stop() }
        let store = try WebAppTests.store()
        try store.addPatient(Patient(id: "MRN-9", name: "Live, Test"), actor: "test")
        let web = WebApp(store: store, settings: WebAppTests.fast, captures: LiveCaptures(devices: DeviceWatch(named: [(simulator.link, "doppler-manometer")])))
        let app = Application(router: web.router())
        defer { web.captures.endAll() }
        try await app.test(.router) { client in
            let session = try await WebAppTests.signIn(client)
            let form = try await EntryTests.get(client, "/patients/MRN-9/captures/new", session)
            #expect(form.0 == .ok && form.1.contains("<option value=\"\(simulator.link)\">") && form.1.contains("doppler-manometer (abi serve --device)"))
            let noIndication = try await EntryTests.send(client, "/patients/MRN-9/captures", session, ["device": simulator.link])
            #expect(noIndication.status == .unprocessableContent)
            let unknown = try await EntryTests.send(client, "/patients/MRN-9/captures", session, ["device": "/dev/sda", "indication": "calf pain"])
            #expect(unknown.status == .unprocessableContent && String(buffer: unknown.body).contains("no longer plugged in"))

            let started = try await EntryTests.send(client, "/patients/MRN-9/captures", session, ["device": simulator.link, "indication": "calf pain on walking"])
            #expect(started.status == .seeOther)
            let location = try #require(started.headers[.location])
            let id = try #require(Int64(location.dropFirst("/captures/".count)))
            let capture = try #require(web.captures.capture(id))
            #expect(CaptureTests.eventually { capture.snapshot.connection == "connected" && capture.snapshot.cuff != nil })
            let page = try await EntryTests.get(client, location, session)
            #expect(page.0 == .ok && page.1.contains("Capture, exam \(id)") && page.1.contains("src=\"/assets/abi.js\"") && page.1.contains("id=\"mark-RB\""))

            // Mark takes the cuff pressure while it falls; it goes to the right brachial. The
            // simulated cuff is pumped up again every 15 s: under load a mark can meet that moment
            // (rightly refused, "not falling"), so it is tried again at the next deflation.
            var readings: [Reading] = []
            for _ in 0 ..< 3 where readings.isEmpty {
                #expect(CaptureTests.eventually { (capture.snapshot.deflation ?? 0) > 0 && (40 ... 170).contains(capture.snapshot.cuff ?? 0) })
                _ = try await EntryTests.send(client, "/captures/\(id)/command", session, ["command": "mark", "typedAt": "RB"])
                readings = try store.exam(id).exam.readings
            }
            #expect(readings.count == 1 && readings[0].site == .rightBrachial && readings[0].device?.profile == "doppler-manometer" && readings[0].method == .doppler,
                    "\(capture.snapshot.messages)")
            // A typed value for the site shown when typing began; then absent at the next.
            _ = try await EntryTests.send(client, "/captures/\(id)/command", session, ["text": "96", "typedAt": "RPT"])
            _ = try await EntryTests.send(client, "/captures/\(id)/command", session, ["command": "a", "typedAt": "RDP"])
            // A value typed at a site the session has left is refused, not recorded elsewhere.
            _ = try await EntryTests.send(client, "/captures/\(id)/command", session, ["text": "120", "typedAt": "RB"])
            readings = try store.exam(id).exam.readings
            #expect(readings.map(\.site) == [.rightBrachial, .rightPosteriorTibial, .rightDorsalisPedis])
            #expect(readings.count == 3 && readings[2].state == .absent)
            #expect(capture.snapshot.messages.contains { $0.kind == "refused" && $0.text.contains("began typing at the right brachial") }, "\(capture.snapshot.messages)")
            #expect(capture.snapshot.site == "LPT" && capture.snapshot.readings.count == 3)

            // Stop for now: the exam stays in progress; its page offers to resume.
            _ = try await EntryTests.send(client, "/captures/\(id)/command", session, ["command": "q"])
            #expect(CaptureTests.eventually { capture.snapshot.ended != nil })
            #expect(try store.exam(id).status == .inProgress)
            let worklist = try await EntryTests.get(client, "/", session)
            #expect(worklist.1.contains("href=\"/captures/\(id)\""))
            let resume = try await EntryTests.get(client, location, session)
            #expect(resume.1.contains("action=\"/captures/\(id)/resume\""), "\(resume.1.suffix(1500))")
            let resumed = try await EntryTests.send(client, "/captures/\(id)/resume", session, ["device": ""])
            #expect(resumed.status == .seeOther)
            let again = try #require(web.captures.capture(id))
            #expect(again !== capture && again.snapshot.site == "LPT", "it goes on where it was")
            // Skip a site with the reason: not measured, by no method.
            _ = try await EntryTests.send(client, "/captures/\(id)/command", session, ["command": "x", "text": "wound dressing", "typedAt": "LPT"])
            let skipped = try #require(try store.exam(id).exam.readings.last)
            #expect(skipped.site == .leftPosteriorTibial && skipped.state == .notMeasured(reason: "wound dressing") && skipped.method == nil)
            for (text, site) in [("104", "LDP"), ("130/80", "LB"), ("n", nil), ("", nil)] {
                _ = try await EntryTests.send(client, "/captures/\(id)/command", session, ["text": text, "typedAt": site ?? ""])
            }
            #expect(again.snapshot.phase == "review", "\(again.snapshot.messages)")
            _ = try await EntryTests.send(client, "/captures/\(id)/command", session, ["command": "save"])
            #expect(CaptureTests.eventually { again.snapshot.ended != nil })
            #expect(try store.exam(id).status == .preliminary)
            let done = try await client.execute(uri: location, method: .get, headers: [.cookie: session.cookie])
            #expect(done.headers[.location] == "/exams/\(id)")
        }
        let journal = try store.journal(exam: try #require(try store.worklist(since: "2000").awaitingSignOff.first { $0.patientId == "MRN-9" }?.examId))
        #expect(!journal.isEmpty, "the device's bytes were journaled")
    }

    @Test("A pulled cable: the banner says disconnected, then connected again when it is plugged back, and the capture goes on")
    func cablePulled() async throws {
        let simulator = try Simulator("doppler-manometer", scenario: .unplug)
        defer { simulator.stop() }
        let store = try WebAppTests.store()
        try store.addPatient(Patient(id: "MRN-9"), actor: "test")
        let web = WebApp(store: store, settings: WebAppTests.fast, captures: LiveCaptures(devices: DeviceWatch(named: [(simulator.link, "doppler-manometer")])))
        let app = Application(router: web.router())
        defer { web.captures.endAll() }
        try await app.test(.router) { client in
            let session = try await WebAppTests.signIn(client)
            let started = try await EntryTests.send(client, "/patients/MRN-9/captures", session, ["device": simulator.link, "indication": "rest pain"])
            let id = try #require(started.headers[.location].flatMap { Int64($0.dropFirst("/captures/".count)) })
            let capture = try #require(web.captures.capture(id))
            var seen: [String] = []
            _ = CaptureTests.eventually(8) {
                let state = capture.snapshot.connection ?? "none"
                if seen.last != state { seen.append(state) }
                return seen.contains("disconnected") && seen.last == "reconnected"
            }
            #expect(seen.contains("disconnected") && seen.last == "reconnected", "\(seen)")
            #expect(capture.snapshot.banner?.contains("connected") == true)
            _ = try await EntryTests.send(client, "/captures/\(id)/command", session, ["text": "140", "typedAt": "RB"])
            #expect(try store.exam(id).exam.readings.count == 1)
        }
    }

    @Test("Captures that have ended give back their descriptors (pipes, port): a server runs many")
    func descriptorsReturn() async throws {
        let simulator = try Simulator("doppler-manometer", scenario: .operatorMarks)
        defer { simulator.stop() }
        let store = try WebAppTests.store()
        try store.addPatient(Patient(id: "MRN-9"), actor: "test")
        let web = WebApp(store: store, settings: WebAppTests.fast, captures: LiveCaptures(devices: DeviceWatch(named: [(simulator.link, "doppler-manometer")])))
        let app = Application(router: web.router())
        try await app.test(.router) { client in
            let session = try await WebAppTests.signIn(client)
            var counts: [Int] = []
            for _ in 0..<6 {
                let started = try await EntryTests.send(client, "/patients/MRN-9/captures", session, ["device": simulator.link, "indication": "rest pain"])
                let id = try #require(started.headers[.location].flatMap { Int64($0.dropFirst("/captures/".count)) })
                let capture = try #require(web.captures.capture(id))
                #expect(CaptureTests.eventually { capture.snapshot.connection == "connected" })
                _ = try await EntryTests.send(client, "/captures/\(id)/command", session, ["command": "q"])
                #expect(CaptureTests.eventually { capture.snapshot.ended != nil })
                try store.discard(id, reason: "test", actor: "test")
                usleep(200_000)
                counts.append(CaptureTests.openDescriptors())
            }
            // After the first (connections to the store are opened once), the count stays.
            #expect(counts.last! - counts[1] < 6, "\(counts)")
        }
    }
}
