import ABICapture
import ABICore
import ABIDevices
import Testing

/// Rule 8: what the Doppler's sound proposes is recorded by one key (or at once with auto-mark),
/// under the rules of a mark.
@Suite struct SoundProposalTests {
    typealias B = BedsideSessionTests

    static func atAnkle(autoMark: Bool = false) throws -> B.Bench {
        let b = try B.bench(device: B.manometer)
        b.session.autoMark = autoMark
        try b.line("132/80")
        #expect(b.session.site == .rightPosteriorTibial, "the right arm, then the right ankle (AHA order)")
        return b
    }

    @Test("Rule 8: a proposed return waits for Enter, then records the pressure with the Doppler method at that site")
    func enterConfirms() throws {
        let b = try Self.atAnkle()
        try b.inflate(to: 160)
        try b.deflate(from: 160, to: 120)
        let beatAt = b.clock.now - 900
        let events = try b.session.handle(sound: SoundProposal(.systolic(126), beatAt: beatAt))
        #expect(events.contains { if case .prompt(let p) = $0 { p.contains("flow returned at 126 mmHg") } else { false } })
        #expect(b.latest[.rightPosteriorTibial] == nil, "nothing recorded before the key")
        #expect(b.session.keys.first?.contains("Enter record") == true)
        // Enter pressed while another site was shown (the session moved as the key went down)
        // does not record it; Enter at this site does.
        #expect(B.refused(try b.line("", typedAt: .rightBrachial))?.contains("the key was pressed at the right brachial") == true)
        #expect(b.session.proposal != nil)
        let confirmed = try b.line("", typedAt: .rightPosteriorTibial)
        #expect(confirmed.contains { if case .recorded(let r) = $0 { r.site == .rightPosteriorTibial && r.method == .doppler } else { false } })
        #expect(b.latest[.rightPosteriorTibial] == .numeric(try NumericPressure(systolic: Pressure(mmHg: 126)!)))
        #expect(b.readings.last?.note == "signal return heard by abi")
        #expect(b.session.site == .rightDorsalisPedis)
        // Enter again has nothing to record.
        #expect(try b.line("y").contains { if case .refused = $0 { true } else { false } })
    }

    @Test("Rule 8 with auto-mark: recorded without a key; absent and noncompressible too")
    func autoMark() throws {
        let b = try Self.atAnkle(autoMark: true)
        try b.inflate(to: 160)
        try b.deflate(from: 160, to: 120)
        _ = try b.session.handle(sound: SoundProposal(.systolic(131), beatAt: b.clock.now - 500))
        #expect(b.latest[.rightPosteriorTibial] == .numeric(try NumericPressure(systolic: Pressure(mmHg: 131)!)))
        try b.cuff(10)
        try b.inflate(to: 200)
        try b.deflate(from: 200, to: 20)
        try b.cuff(10)
        _ = try b.session.handle(sound: SoundProposal(.absent, beatAt: b.clock.now))
        #expect(b.latest[.rightDorsalisPedis] == .absent)
        try b.inflate(to: 280)
        _ = try b.session.handle(sound: SoundProposal(.noncompressible(280), beatAt: b.clock.now))
        #expect(b.latest[.leftPosteriorTibial] == .noncompressible(atPressure: Pressure(mmHg: 280)))
    }

    @Test("Rule 3 holds for the sound: one record per inflation; a mark after the sound's record is refused and the reverse")
    func onePerInflation() throws {
        let b = try Self.atAnkle(autoMark: true)
        try b.inflate(to: 160)
        try b.deflate(from: 160, to: 130)
        let marked = try b.line("mark")
        #expect(marked.contains { if case .recorded = $0 { true } else { false } }, "\(marked)")
        let late = try b.session.handle(sound: SoundProposal(.systolic(127), beatAt: b.clock.now - 200))
        #expect(!late.contains { if case .recorded = $0 { true } else { false } })
        #expect(b.readings.map(\.site) == [.rightBrachial, .rightPosteriorTibial])
    }

    @Test("Rule 8: the cuff pumped up for one site does not give a reading at another; a stale pressure is refused")
    func siteAndFreshness() throws {
        let b = try Self.atAnkle()
        try b.inflate(to: 160)
        try b.deflate(from: 160, to: 130)
        // The operator types the value at the posterior tibial meanwhile: the session moves on.
        try b.line("140")
        #expect(b.session.site == .rightDorsalisPedis)
        let wrongSite = try b.session.handle(sound: SoundProposal(.systolic(128), beatAt: b.clock.now - 100))
        #expect(B.refused(wrongSite)?.contains("pumped up for the right posterior tibial") == true)
        #expect(b.latest[.rightDorsalisPedis] == nil)
        // A new inflation at the dorsalis pedis; a proposal about a beat 5 s before any pressure.
        try b.cuff(10)
        try b.inflate(to: 160)
        let stale = try b.session.handle(sound: SoundProposal(.systolic(150), beatAt: b.clock.now - 5_000))
        #expect(B.refused(stale)?.contains("no cuff pressure came from the device") == true)
    }

    @Test("A pending proposal is dropped when the cuff is pumped up again, and is never recorded at the next site")
    func pendingDropped() throws {
        let b = try Self.atAnkle()
        try b.inflate(to: 160)
        try b.deflate(from: 160, to: 120)
        _ = try b.session.handle(sound: SoundProposal(.systolic(125), beatAt: b.clock.now - 300))
        try b.inflate(to: 160)
        #expect(b.session.proposal == nil)
        #expect(try b.line("").isEmpty)
        #expect(b.latest[.rightPosteriorTibial] == nil)
    }
}
