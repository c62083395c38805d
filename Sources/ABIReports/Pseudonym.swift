import ABICore

/// Keyed pseudonyms for research exports: HMAC-SHA-256 (RFC 2104, FIPS 180-4) of the patient id
/// with the site's key, so that one patient gets one pseudonym across exports and the MRN cannot
/// be recovered without the key.
public enum Pseudonym {
    /// "P-" and the first 16 hexadecimal digits of HMAC-SHA-256(key, patient id).
    public static func of(_ patientId: String, key: String) -> String {
        let mac = hmacSHA256(key: Array(key.utf8), message: Array(patientId.utf8))
        return "P-" + mac.prefix(8).map { byte in String(byte >> 4, radix: 16) + String(byte & 0x0F, radix: 16) }.joined()
    }

    public static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var k = key.count > 64 ? sha256(key) : key
        k += [UInt8](repeating: 0, count: 64 - k.count)
        let inner = sha256(k.map { $0 ^ 0x36 } + message)
        return sha256(k.map { $0 ^ 0x5C } + inner)
    }

    /// SHA-256 (ABICore's, also the Doppler recordings' checksum).
    public static func sha256(_ message: [UInt8]) -> [UInt8] { SHA256.digest(message) }
}
