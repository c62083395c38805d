import ABICore
import Foundation

/// What a site sets once for all its reports (`abi-site/1`, docs/formats.md): the letterhead
/// (clinic, department, address, phone, logo) and the identifiers its interfaces expect (HL7
/// sender and receiver, the patient id's assigning authority, the FHIR identifier system).
public struct SiteConfiguration: Sendable, Equatable {
    public static let format = "abi-site/1"

    public var clinic: String?
    public var department: String?
    public var address: String?
    public var phone: String?
    /// The logo's bytes and media type (`image/png` or `image/svg+xml`), for the HTML and PDF reports.
    public var logo: (bytes: [UInt8], mediaType: String)?
    public var hl7 = HL7Report.Sender()
    /// PID-3's assigning authority (HL7) for the clinic's record numbers.
    public var assigningAuthority: String?
    /// The FHIR `Patient.identifier.system` of the clinic's record numbers.
    public var patientIdentifierSystem: String?
    /// The clinic's time zone (IANA, "Europe/Warsaw"): reports show local times in it; UTC by default.
    public var timeZone: String?
    /// The key of the research export's pseudonyms (`abi report --all --format csv --pseudonymise`).
    public var pseudonymKey: String?

    public init() {}

    public static func == (a: SiteConfiguration, b: SiteConfiguration) -> Bool {
        a.letterhead == b.letterhead && a.logo?.bytes == b.logo?.bytes && a.hl7 == b.hl7
            && a.assigningAuthority == b.assigningAuthority && a.patientIdentifierSystem == b.patientIdentifierSystem && a.pseudonymKey == b.pseudonymKey && a.timeZone == b.timeZone
    }

    /// The letterhead's lines, clinic first; empty when the site set none.
    public var letterhead: [String] {
        [clinic, department, address, phone.map { "Phone \($0)" }].compactMap { $0 }
    }

    /// Reads a site configuration.
    /// - Parameter logo: reads the logo file the configuration names (a path).
    /// - Throws: `InputError` naming the key.
    public static func decode(_ bytes: some Collection<UInt8>, logo load: (String) throws -> [UInt8]) throws(InputError) -> SiteConfiguration {
        let r = try ObjectReader(try InputError.parsingJSON(bytes), at: "", what: "a site configuration object")
        guard try r.string("format") == format else { throw InputError(path: "format", "is required and must be \"\(format)\"") }
        var site = SiteConfiguration()
        if let c = try r.object("clinic") {
            site.clinic = try c.text("name", maxLength: 200)
            site.department = try c.text("department", maxLength: 200)
            site.address = try c.text("address", maxLength: 500)
            site.phone = try c.text("phone", maxLength: 100)
            if let zone = try c.text("timeZone", maxLength: 100) {
                guard TimeZone(identifier: zone) != nil else { throw InputError(path: c.childPath("timeZone"), "\"\(zone)\" is not a time zone (e.g. Europe/Warsaw)") }
                site.timeZone = zone
            }
            if let path = try c.text("logo", maxLength: 4096) {
                let lower = path.lowercased()
                let type = lower.hasSuffix(".png") ? "image/png" : lower.hasSuffix(".svg") ? "image/svg+xml" : nil
                guard let type else { throw InputError(path: c.childPath("logo"), "must be a .png or .svg file") }
                let data: [UInt8]
                do { data = try load(path) } catch { throw InputError(path: c.childPath("logo"), "cannot be read: \(error)") }
                guard data.count <= 2_000_000 else { throw InputError(path: c.childPath("logo"), "is larger than 2 MB") }
                // Decoded once here (Cairo for PNG, librsvg for SVG), so that a broken logo is
                // named now and not left out of a report later.
                guard PDFImage(data, mediaType: type) != nil else {
                    throw InputError(path: c.childPath("logo"), type == "image/png" ? "is not a PNG image that can be read" : "is not an SVG image that can be read (it needs a width and height or a viewBox)")
                }
                site.logo = (data, type)
            }
        }
        if let h = try r.object("hl7") {
            site.hl7.application = try h.text("sendingApplication", maxLength: 180) ?? site.hl7.application
            site.hl7.facility = try h.text("sendingFacility", maxLength: 180) ?? site.hl7.facility
            site.hl7.receivingApplication = try h.text("receivingApplication", maxLength: 180) ?? ""
            site.hl7.receivingFacility = try h.text("receivingFacility", maxLength: 180) ?? ""
            site.assigningAuthority = try h.text("assigningAuthority", maxLength: 180)
        }
        if let f = try r.object("fhir") {
            site.patientIdentifierSystem = try f.text("patientIdentifierSystem", maxLength: 500)
        }
        if let research = try r.object("research"), let key = try research.text("pseudonymKey", maxLength: 1000) {
            guard key.unicodeScalars.count >= 16 else { throw InputError(path: research.childPath("pseudonymKey"), "must be at least 16 characters") }
            site.pseudonymKey = key
        }
        return site
    }
}

extension SiteConfiguration {
    /// A moment as people at the site read it: "2026-11-26 10:30 CET (UTC+01:00)", or
    /// "2026-11-26 09:30 UTC" when the site names no time zone. The data formats keep UTC.
    public func local(_ t: Timestamp) -> String {
        let date = Date(timeIntervalSince1970: Double(t.millisecondsSinceEpoch) / 1000)
        guard let id = timeZone, let zone = TimeZone(identifier: id) else {
            let utc = Timestamp(millisecondsSinceEpoch: t.millisecondsSinceEpoch).text
            return "\(utc.prefix(10)) \(utc.dropFirst(11).prefix(5)) UTC"
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        func two(_ n: Int?) -> String { let v = n ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        let offset = zone.secondsFromGMT(for: date) / 60
        let sign = offset < 0 ? "-" : "+", hours = abs(offset) / 60, minutes = abs(offset) % 60
        let name = zone.abbreviation(for: date) ?? id
        return "\(c.year ?? 0)-\(two(c.month))-\(two(c.day)) \(two(c.hour)):\(two(c.minute)) \(name) (UTC\(sign)\(two(hours)):\(two(minutes)))"
    }
}

