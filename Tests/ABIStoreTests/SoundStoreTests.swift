import ABICore
import ABIStore
import Foundation
import GRDB
import Testing

@Suite struct SoundStoreTests {
    @Test("A site's Doppler sound is kept with its checksum, read back intact, audited, and never changed")
    func keptAsRecorded() throws {
        let store = try StoreTests.newStore()
        let capture = try store.beginCapture(Patient(id: "SND-1"), details: ExamDetails(performedAt: Timestamp(secondsSinceEpoch: 0)),
                                             plan: .init(firstArm: .right, toes: false), device: nil, actor: "nurse")
        let flac = Array("fLaC and some frames".utf8)
        try store.keepSound(capture, Store.DopplerSound(site: .rightPosteriorTibial, readingSeq: 2, recordedAt: "2026-11-30T10:00:00Z",
                                                        sampleRate: 48_000, channels: 2, seconds: 27.5, flac: flac,
                                                        description: "multiphasic (triphasic)", record: "{}"), actor: "nurse")
        let kept = try store.sounds(exam: capture.examId)
        #expect(kept.count == 1)
        #expect(kept[0].flac == flac && kept[0].intact)
        #expect(kept[0].sha256 == SHA256.hex(flac))
        #expect(kept[0].site == .rightPosteriorTibial && kept[0].readingSeq == 2 && kept[0].description == "multiphasic (triphasic)")
        #expect(try store.auditTrail(exam: capture.examId).contains { $0.action == "doppler-sound-kept" })
        // No program changes a recording.
        let db = try StoreTests.raw(store)
        #expect(throws: (any Error).self) {
            try db.write { try $0.execute(sql: "UPDATE dopplerSounds SET flac = x'00'") }
        }
        #expect(try store.sounds(exam: capture.examId)[0].intact)
        // Bytes changed behind the store's back fail the checksum.
        try db.write { db in
            try db.execute(sql: "DROP TRIGGER dopplerSoundsAreFixed")
            try db.execute(sql: "UPDATE dopplerSounds SET flac = x'00'")
        }
        #expect(try store.sounds(exam: capture.examId)[0].intact == false)
    }

    @Test("A final exam takes no more recordings: its report cannot change by a sound added later")
    func finalTakesNoSound() throws {
        let store = try StoreTests.newStore()
        let capture = try store.beginCapture(Patient(id: "SND-2"), details: ExamDetails(performedAt: Timestamp(secondsSinceEpoch: 0)),
                                             plan: .init(firstArm: .right, toes: false), device: nil, actor: "nurse")
        _ = try store.record(capture, site: .rightBrachial, state: .numeric(try NumericPressure(systolic: Pressure(mmHg: 130)!)),
                             time: "2026-11-30T10:00:00Z", method: .oscillometric, device: nil, actor: "nurse")
        try store.endCapture(capture, finished: true, actor: "nurse")
        try store.finalize(capture.examId, by: "Dr A", actor: "doctor")
        let sound = Store.DopplerSound(site: .rightPosteriorTibial, readingSeq: nil, recordedAt: "2026-11-30T10:05:00Z", sampleRate: 48_000,
                                       channels: 1, seconds: 3, flac: [1, 2, 3], description: "absent", record: "{}")
        #expect(throws: StoreError.self) { try store.keepSound(capture, sound, actor: "nurse") }
        #expect(try store.sounds(exam: capture.examId).isEmpty)
    }

    @Test("SHA-256 gives the published digests (FIPS 180-4 examples)")
    func sha256() {
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }
}
