// Device codec throughput: how fast each codec decodes a stream of valid frames, in MB/s,
// release build, in-process (no I/O). Run by scripts/bench-devices. `bench doppler` measures
// the Doppler sound's analysis instead (scripts/bench-doppler).
import ABICore
import ABIDevices

#if canImport(Glibc)
import Glibc
#endif

func seconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func stream(_ profile: String, bytes target: Int) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(target + 4096)
    var i = 0
    while out.count < target {
        switch profile {
        case "suntech-advantage":
            out += SunTechAdvantage.responseFrame([UInt8(i % 250), 0])
            var data = [UInt8](repeating: 0, count: 21)
            data[0] = 120; data[2] = 80; data[5] = 1; data[14] = 70; data[16] = 93
            out += SunTechAdvantage.responseFrame(data)
        case "nonin-2":
            for f in 0..<25 {
                let value: UInt8 = f == 1 ? UInt8(60 + i % 40) : f == 2 ? 97 : 0
                out += Nonin2.frame(status: f == 0 ? 0x81 : 0x80, pleth: UInt8(f), value: value)
            }
        case "contec-cms50-legacy":
            out += ContecCMS50Legacy.packet(pleth: UInt8(i % 100), pulseRate: 60 + i % 40, spo2: 97)
        case "contec-cms50-v7":
            out += ContecCMS50V7.realTime(pleth: UInt8(i % 100), pulseRate: 60 + i % 40, spo2: 97)
        case "masimo-ascii1":
            out += Array("02/22/16 22:47:45 SN=0000056661 SPO2=098% BPM=0\(60 + i % 40) PI=03.60% SPCO=--.-% SPMET=--.-% DESAT=-- PIDELTA=+-- ALARM=0000 EXC=000800\r\n".utf8)
        case "nonin-ascii":
            out += Array("SPO2=097 HR=0\(60 + i % 40)\r\n".utf8)
        default:
            out += Array("P=\(100 + i % 100)\r\n".utf8)
        }
        i += 1
    }
    return out
}

if CommandLine.arguments.count > 1 && CommandLine.arguments[1] == "doppler" {
    dopplerBenchmark(sweeps: CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 100 : 100)
    exit(0)
}
let megabytes = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 32 : 32
print("codec throughput, \(megabytes) MB of valid frames per codec, fed in 4 KiB reads")
for name in BuiltInProfiles.names {
    let data = stream(name, bytes: (name.contains("ascii") || name.contains("manometer") ? megabytes / 8 : megabytes) << 20)
    var best = 0.0
    var records = 0
    for _ in 0..<3 {
        var codec = try! DeviceProfile.builtIn(name).makeCodec()
        var out: [DecodedRecord] = []
        out.reserveCapacity(1024)
        var count = 0
        let start = seconds()
        data.withUnsafeBufferPointer { all in
            var offset = 0
            while offset < all.count {
                let end = min(all.count, offset + 4096)
                out.removeAll(keepingCapacity: true)
                codec.feed(UnsafeBufferPointer(rebasing: all[offset..<end]), into: &out)
                count += out.count
                offset = end
            }
        }
        let mbps = Double(data.count) / 1e6 / (seconds() - start)
        best = max(best, mbps)
        records = count
    }
    let kind = BuiltInProfiles.binaryProfiles[name] != nil ? "binary" : "line profile"
    print("\(name.rightPad(22)) \(kind.rightPad(13)) \(String(Int(best.rounded())).leftPad(6)) MB/s  (\(records) records from \(data.count / 1_000_000) MB)")
}

extension String {
    func leftPad(_ n: Int) -> String { String(repeating: " ", count: max(0, n - count)) + self }
    func rightPad(_ n: Int) -> String { self + String(repeating: " ", count: max(0, n - count)) }
}
