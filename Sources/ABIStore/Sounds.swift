import ABICore
import Foundation
import GRDB

/// The Doppler's sound of each site (`abi capture --audio`), kept with the exam.
extension Store {
    /// A site's recording: FLAC bytes, what its analysis said.
    public struct DopplerSound: Sendable, Equatable {
        public var id: Int64 = 0
        public var site: Site
        /// The reading it belongs to (nil: heard, but no reading was recorded from it).
        public var readingSeq: Int?
        public var recordedAt: String
        public var sampleRate: Int
        public var channels: Int
        public var seconds: Double
        public var flac: [UInt8]
        public var sha256: String
        /// The waveform in words ("multiphasic (triphasic)").
        public var description: String
        /// The abi-doppler/1 record of its analysis.
        public var record: String

        public init(site: Site, readingSeq: Int?, recordedAt: String, sampleRate: Int, channels: Int, seconds: Double,
                    flac: [UInt8], description: String, record: String) {
            self.site = site
            self.readingSeq = readingSeq
            self.recordedAt = recordedAt
            self.sampleRate = sampleRate
            self.channels = channels
            self.seconds = seconds
            self.flac = flac
            self.sha256 = SHA256.hex(flac)
            self.description = description
            self.record = record
        }

        /// Whether the bytes are those recorded.
        public var intact: Bool { SHA256.hex(flac) == sha256 }
    }

    /// Keeps a site's recording (one transaction, audited).
    public func keepSound(_ capture: Capture, _ sound: DopplerSound, actor: String) throws(StoreError) {
        try write("keeping the Doppler recording") { db in
            try db.execute(sql: """
                INSERT INTO dopplerSounds (examId, sessionId, site, readingSeq, recordedAt, sampleRate, channels, seconds, flac, sha256, description, record)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [capture.examId, capture.sessionId, sound.site.rawValue, sound.readingSeq, sound.recordedAt, sound.sampleRate,
                                 sound.channels, sound.seconds, Data(sound.flac), sound.sha256, sound.description, sound.record])
            try Store.audit(db, actor: actor, "doppler-sound-kept", exam: capture.examId,
                            detail: "\(sound.site.rawValue)\(sound.readingSeq.map { " seq \($0)" } ?? ""), \(Int(sound.seconds.rounded())) s")
        }
    }

    /// An exam's recordings, oldest first.
    public func sounds(exam: Int64) throws(StoreError) -> [DopplerSound] {
        try read("reading the Doppler recordings") { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM exams WHERE id = ?", arguments: [exam]) == true else {
                throw StoreError(.notFound, "there is no exam \(exam) (abi exams list)")
            }
            return try Row.fetchAll(db, sql: """
                SELECT id, site, readingSeq, recordedAt, sampleRate, channels, seconds, flac, sha256, description, record
                FROM dopplerSounds WHERE examId = ? ORDER BY id
                """, arguments: [exam]).compactMap { row -> DopplerSound? in
                guard let site = Site(rawValue: row[1]) else { return nil }
                var sound = DopplerSound(site: site, readingSeq: row[2], recordedAt: row[3], sampleRate: row[4], channels: row[5],
                                         seconds: row[6], flac: [UInt8](row[7] as Data), description: row[9], record: row[10])
                sound.id = row[0]
                sound.sha256 = row[8]
                return sound
            }
        }
    }
}
