@testable import ABIDevices
import Testing

@Suite struct SimulatorTests {
    @Test("The simulated SunTech module answers 'get return code' with the module's own 6-byte frame, which the codec accepts")
    func returnCodeReply() {
        var module = SimulatedSunTech(.normal)
        let reply = module.received(SunTechAdvantage.Command.getReturnCode, now: 0)
        #expect(reply.count == 6 && reply[0] == 0x3E && reply[1] == 6)
        var codec = SunTechAdvantage()
        _ = codec.feed(reply)
        #expect(codec.statistics.frames == 1 && codec.statistics.framingErrors == 0 && codec.statistics.checksumErrors == 0)
    }
}
