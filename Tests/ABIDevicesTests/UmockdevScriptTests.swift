import ABIDevices
import Testing

@Suite struct UmockdevScriptTests {
    @Test("Bytes below 0x20 and ^ are escaped; other bytes stay as they are")
    func escaping() {
        #expect(UmockdevScript.escape([0x01, 0x5E, 0x41, 0x0D, 0x0A, 0xFF]) == Array("^A^`A^M^J".utf8) + [0xFF])
    }

    @Test("A chunk starting with a space moves the space to the chunk before it")
    func leadingSpace() {
        var script = UmockdevScript()
        script.received(Array(" x".utf8), afterMilliseconds: 5)
        script.received(Array("SPO2=097".utf8), afterMilliseconds: 10)
        script.received(Array(" HR=072\r\n".utf8), afterMilliseconds: 3)
        #expect(String(decoding: script.bytes, as: UTF8.self) == "r 5 x\nr 10 SPO2=097 \nr 3 HR=072^M^J\n")
        #expect(script.droppedSpaces == 1)
    }
}
