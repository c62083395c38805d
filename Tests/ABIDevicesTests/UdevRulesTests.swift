import ABIDevices
import Foundation
import Testing

/// udev/70-abi-devices.rules, checked by parsing (udevadm verify needs systemd 253; Debian 12 has
/// 252): the syntax of every line, the labels, that every binding is pinned by serial number or
/// USB port to a built-in profile, the actions docs/devices.md requires, and that evaluating the
/// rules against each sample device of samples/devices gives the sample's profile.
@Suite struct UdevRulesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Token: Equatable {
        var key: String
        var attribute: String?
        var op: String
        var value: String
    }

    static func rules() throws -> [[Token]] {
        let text = try String(contentsOf: root.appendingPathComponent("udev/70-abi-devices.rules"), encoding: .utf8)
        var lines: [[Token]] = []
        let pattern = try Regex(#"^([A-Z_]+)(\{([^}]+)\})?(==|!=|\+=|-=|:=|=)"([^"]*)"$"#)
        for raw in text.replacingOccurrences(of: "\\\n", with: "").split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            var tokens: [Token] = []
            for part in line.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                guard let m = try pattern.wholeMatch(in: part) else {
                    Issue.record("not a udev rule token: \(part)")
                    continue
                }
                tokens.append(Token(key: String(m.output[1].substring!), attribute: m.output[3].substring.map(String.init),
                                    op: String(m.output[4].substring!), value: String(m.output[5].substring!)))
            }
            lines.append(tokens)
        }
        return lines
    }

    @Test("Every token is valid: known keys, the right operators, every GOTO has its LABEL")
    func syntax() throws {
        let lines = try UdevRulesTests.rules()
        #expect(lines.count >= 10)
        let matchKeys: Set = ["ACTION", "SUBSYSTEM", "ENV", "ATTR", "DRIVERS", "KERNEL"]
        let assignKeys: Set = ["ENV", "ATTR", "GROUP", "MODE", "TAG", "SYMLINK", "GOTO", "LABEL"]
        var gotos: Set<String> = [], labels: Set<String> = []
        for token in lines.joined() {
            switch token.op {
            case "==", "!=": #expect(matchKeys.contains(token.key), "\(token.key) cannot be matched")
            default: #expect(assignKeys.contains(token.key), "\(token.key) cannot be assigned")
            }
            if token.key == "GOTO" { gotos.insert(token.value) }
            if token.key == "LABEL" { labels.insert(token.value) }
            if token.key == "ENV" || token.key == "ATTR" { #expect(token.attribute != nil) }
        }
        #expect(gotos.isSubset(of: labels))
    }

    @Test("Every binding is pinned by serial number or USB port, to a built-in profile")
    func bindings() throws {
        let bindings = try UdevRulesTests.rules().filter { $0.contains { $0.key == "ENV" && $0.attribute == "ABI_PROFILE" && $0.op == "=" } }
        #expect(bindings.count >= 4)
        for line in bindings {
            let profile = line.first { $0.attribute == "ABI_PROFILE" }!.value
            #expect(BuiltInProfiles.names.contains(profile), "\(profile) is not a built-in profile")
            #expect(line.contains { $0.attribute == "ID_SERIAL_SHORT" && $0.op == "==" } || line.contains { $0.attribute == "ID_PATH" && $0.op == "==" },
                    "\(profile) is not pinned by serial or ID_PATH")
            #expect(line.contains { $0.attribute == "ID_VENDOR_ID" } && line.contains { $0.attribute == "ID_MODEL_ID" })
        }
    }

    @Test("The actions docs/devices.md asks for")
    func actions() throws {
        let tokens = Array(try UdevRulesTests.rules().joined())
        #expect(tokens.contains(Token(key: "ENV", attribute: "ID_MM_DEVICE_IGNORE", op: "=", value: "1")))
        #expect(tokens.contains(Token(key: "GROUP", attribute: nil, op: "=", value: "abi")))
        #expect(tokens.contains(Token(key: "MODE", attribute: nil, op: "=", value: "0660")))
        #expect(tokens.contains(Token(key: "TAG", attribute: nil, op: "+=", value: "uaccess")))
        #expect(tokens.contains(Token(key: "TAG", attribute: nil, op: "+=", value: "systemd")))
        #expect(tokens.contains { $0.key == "SYMLINK" && $0.op == "+=" && $0.value.hasPrefix("abi/$env{ABI_PROFILE}-") })
        #expect(tokens.contains(Token(key: "ATTR", attribute: "device/latency_timer", op: "=", value: "1")))
    }

    @Test("Evaluated against each sample device, the rules give the sample's profile", arguments: BuiltInProfiles.names)
    func samples(_ profile: String) throws {
        let description = try String(contentsOf: UdevRulesTests.root.appendingPathComponent("samples/devices/\(profile).umockdev"), encoding: .utf8)
        // The tty device's properties (the last device in the file), without the profile itself.
        let block = description.components(separatedBy: "\n\n").last!
        var env: [String: String] = ["ACTION": "add"]
        for line in block.split(separator: "\n") where line.hasPrefix("E: ") {
            let kv = line.dropFirst(3).split(separator: "=", maxSplits: 1).map(String.init)
            if kv[0] != "ABI_PROFILE" { env[kv[0]] = kv[1] }
        }
        var assigned: String?
        for line in try UdevRulesTests.rules() {
            let matches = line.filter { $0.op == "==" || $0.op == "!=" }
            let holds = matches.allSatisfy { t in
                let actual = t.key == "ENV" ? env[t.attribute!] ?? "" : t.key == "SUBSYSTEM" ? env["SUBSYSTEM"] ?? "" : t.key == "ACTION" ? "add" : ""
                let equal = t.value == "?*" ? !actual.isEmpty : t.value.split(separator: "|").contains { String($0) == actual }
                return t.op == "==" ? equal : !equal
            }
            guard holds else { continue }
            if line.contains(where: { $0.key == "GOTO" }) { break }
            if let p = line.first(where: { $0.attribute == "ABI_PROFILE" && $0.op == "=" }) {
                assigned = p.value
                env["ABI_PROFILE"] = p.value
            }
        }
        #expect(assigned == profile, "the rules give \(assigned ?? "no profile") to samples/devices/\(profile).umockdev")
    }
}
