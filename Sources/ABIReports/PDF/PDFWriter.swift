/// A small PDF 1.4 writer: A4 pages, text in the standard fonts Helvetica and Helvetica-Bold
/// (WinAnsiEncoding, so the text is real, extractable and searchable), and vector lines and
/// shapes. No Swift PDF library exists for Linux here; this is just enough for the report.
///
/// Coordinates are points from the top-left corner of the page, y down, as on the screen; the
/// writer turns them into PDF's bottom-up space. Characters WinAnsiEncoding lacks are written as
/// "?" (see `encode`).
public struct PDFWriter: Sendable {
    public enum Font: Sendable {
        case regular, bold

        var resource: String { self == .regular ? "F1" : "F2" }
        var widths: [UInt16] { self == .regular ? FontMetrics.helvetica : FontMetrics.helveticaBold }
    }

    /// A4 in points.
    public static let pageWidth = 595.28
    public static let pageHeight = 841.89

    private var pages: [[UInt8]] = []

    public init() {}

    public var pageCount: Int { pages.count }

    /// Starts a new page; drawing goes to the last page unless a page index is given.
    public mutating func addPage() { pages.append([]) }

    // MARK: Drawing

    public mutating func text(_ string: String, x: Double, y: Double, font: Font = .regular, size: Double,
                              colour: String = "#111111", page: Int? = nil) {
        var op = Array(PDFNumber.colour(colour, stroke: false).utf8)
        op += Array("BT /\(font.resource) \(PDFNumber.text(size)) Tf \(PDFNumber.text(x)) \(PDFNumber.text(PDFWriter.pageHeight - y)) Td (".utf8)
        for byte in PDFWriter.encode(string) {
            switch byte {
            case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "\\"):
                op += [UInt8(ascii: "\\"), byte]
            case 0x20..<0x7F:
                op.append(byte)
            default:  // octal escapes keep the content stream plain ASCII
                op += [UInt8(ascii: "\\"), 0x30 + (byte >> 6), 0x30 + ((byte >> 3) & 7), 0x30 + (byte & 7)]
            }
        }
        op += Array(") Tj ET\n".utf8)
        append(op, page: page)
    }

    /// A polyline, optionally closed and filled.
    public mutating func lines(_ points: [(x: Double, y: Double)], closed: Bool = false, colour: String? = "#333333",
                               width: Double = 1, fill: String? = nil, page: Int? = nil) {
        guard let first = points.first else { return }
        var op = "\(PDFNumber.text(width)) w 1 j 1 J "
        if let colour { op += PDFNumber.colour(colour, stroke: true) }
        if let fill { op += PDFNumber.colour(fill, stroke: false) }
        op += "\(PDFNumber.point(first.x, first.y)) m "
        for p in points.dropFirst() { op += "\(PDFNumber.point(p.x, p.y)) l " }
        if closed { op += "h " }
        op += paintOperator(stroke: colour != nil, fill: fill != nil) + "\n"
        append(Array(op.utf8), page: page)
    }

    public mutating func rectangle(x: Double, y: Double, width: Double, height: Double, colour: String? = nil,
                                   lineWidth: Double = 0.5, fill: String? = nil, page: Int? = nil) {
        lines([(x, y), (x + width, y), (x + width, y + height), (x, y + height)], closed: true, colour: colour,
              width: lineWidth, fill: fill, page: page)
    }

    /// A circle drawn with four Bézier arcs.
    public mutating func circle(cx: Double, cy: Double, r: Double, colour: String? = "#333333", width: Double = 1,
                                fill: String? = nil, page: Int? = nil) {
        let k = 0.5523 * r  // the control-point distance of a quarter circle
        var op = "\(PDFNumber.text(width)) w "
        if let colour { op += PDFNumber.colour(colour, stroke: true) }
        if let fill { op += PDFNumber.colour(fill, stroke: false) }
        op += "\(PDFNumber.point(cx + r, cy)) m "
        op += "\(PDFNumber.point(cx + r, cy + k)) \(PDFNumber.point(cx + k, cy + r)) \(PDFNumber.point(cx, cy + r)) c "
        op += "\(PDFNumber.point(cx - k, cy + r)) \(PDFNumber.point(cx - r, cy + k)) \(PDFNumber.point(cx - r, cy)) c "
        op += "\(PDFNumber.point(cx - r, cy - k)) \(PDFNumber.point(cx - k, cy - r)) \(PDFNumber.point(cx, cy - r)) c "
        op += "\(PDFNumber.point(cx + k, cy - r)) \(PDFNumber.point(cx + r, cy - k)) \(PDFNumber.point(cx + r, cy)) c h "
        op += paintOperator(stroke: colour != nil, fill: fill != nil) + "\n"
        append(Array(op.utf8), page: page)
    }

    private func paintOperator(stroke: Bool, fill: Bool) -> String {
        switch (stroke, fill) {
        case (true, true): "B"
        case (false, true): "f"
        case (true, false): "S"
        case (false, false): "n"
        }
    }

    /// Large light text across the page, under everything drawn on it (a watermark).
    public mutating func watermark(_ string: String, page: Int) {
        let op = Array((PDFNumber.colour("#e4e4e4", stroke: false)
                        + "BT /\(Font.bold.resource) 64 Tf 0.8 0.6 -0.6 0.8 110 170 Tm (\(string.filter { $0.isASCII && $0 != "(" && $0 != ")" && $0 != "\\" })) Tj ET\n").utf8)
        if pages.isEmpty { addPage() }
        pages[page] = op + pages[page]
    }

    private mutating func append(_ op: [UInt8], page: Int?) {
        if pages.isEmpty { addPage() }
        pages[page ?? pages.count - 1] += op
    }

    // MARK: Text measure

    /// The width of `string` in points when set in `font` at `size`.
    public static func width(of string: String, font: Font, size: Double) -> Double {
        let widths = font.widths
        var total = 0
        for byte in encode(string) { total += Int(widths[Int(byte) - 32]) }
        return Double(total) * size / 1000
    }

    /// The WinAnsiEncoding bytes of `string`: Latin-1 and the typographic characters of
    /// 0x80–0x9F as themselves, control characters as spaces, anything else as "?".
    static func encode(_ string: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(string.utf8.count)
        for scalar in string.unicodeScalars {
            let v = scalar.value
            switch v {
            case 0x20..<0x7F, 0xA0...0xFF: bytes.append(UInt8(v))
            case 0..<0x20, 0x7F..<0xA0: bytes.append(0x20)
            default:
                if let i = FontMetrics.winAnsiHigh.firstIndex(of: v), v != 0 { bytes.append(0x80 + UInt8(i)) } else { bytes.append(UInt8(ascii: "?")) }
            }
        }
        return bytes
    }

    // MARK: The file

    /// The whole PDF file. `title` goes in the document information (any Unicode).
    public func document(title: String) -> [UInt8] {
        var out: [UInt8] = []
        var offsets: [Int] = []
        let pageList = pages.isEmpty ? [[]] : pages
        func object(_ body: [UInt8]) {
            offsets.append(out.count)
            out += Array("\(offsets.count) 0 obj\n".utf8) + body + Array("\nendobj\n".utf8)
        }
        func object(_ body: String) { object(Array(body.utf8)) }

        out += Array("%PDF-1.4\n%".utf8) + [0xE2, 0xE3, 0xCF, 0xD3, 0x0A]  // binary marker line
        // 1 catalog, 2 page tree, 3 and 4 fonts, 5 information, then a page and its content each.
        let firstPage = 6
        object("<< /Type /Catalog /Pages 2 0 R >>")
        let kids = pageList.indices.map { "\(firstPage + 2 * $0) 0 R" }.joined(separator: " ")
        object("<< /Type /Pages /Kids [\(kids)] /Count \(pageList.count) >>")
        object("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
        object("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
        object("<< /Title \(PDFWriter.unicodeString(title)) /Producer (abi) >>")
        for (i, content) in pageList.enumerated() {
            object("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 \(PDFNumber.text(PDFWriter.pageWidth)) \(PDFNumber.text(PDFWriter.pageHeight))] "
                   + "/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents \(firstPage + 2 * i + 1) 0 R >>")
            object(Array("<< /Length \(content.count) >>\nstream\n".utf8) + content + Array("\nendstream".utf8))
        }
        let xref = out.count
        out += Array("xref\n0 \(offsets.count + 1)\n0000000000 65535 f \n".utf8)
        for offset in offsets {
            let digits = String(offset)
            out += Array((String(repeating: "0", count: 10 - digits.count) + digits + " 00000 n \n").utf8)
        }
        out += Array("trailer\n<< /Size \(offsets.count + 1) /Root 1 0 R /Info 5 0 R >>\nstartxref\n\(xref)\n%%EOF\n".utf8)
        return out
    }

    /// A text string as UTF-16BE with a byte-order mark, in hex (PDF 1.4 §3.8.1).
    static func unicodeString(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = Array("<FEFF".utf8)
        for unit in text.utf16 {
            for shift in [12, 8, 4, 0] { out.append(hex[Int(unit >> UInt16(shift)) & 0xF]) }
        }
        out.append(UInt8(ascii: ">"))
        return String(decoding: out, as: UTF8.self)
    }
}

/// Numbers as PDF and SVG write them: at most two decimals, no exponent, no trailing zeros.
enum PDFNumber {
    static func text(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let sign = hundredths < 0 ? "-" : ""
        let whole = abs(hundredths) / 100, fraction = abs(hundredths) % 100
        if fraction == 0 { return sign + String(whole) }
        let digits = fraction < 10 ? "0\(fraction)" : String(fraction)
        return sign + "\(whole)." + (digits.hasSuffix("0") ? String(digits.dropLast()) : digits)
    }

    /// A point of the top-down page space in PDF's bottom-up space.
    static func point(_ x: Double, _ y: Double) -> String { "\(text(x)) \(text(PDFWriter.pageHeight - y))" }

    /// `#rrggbb` as a PDF colour operator (`rg` to fill, `RG` to stroke).
    static func colour(_ hex: String, stroke: Bool) -> String {
        let digits = Array(hex.utf8.dropFirst())
        func channel(_ i: Int) -> String {
            guard digits.count == 6 else { return "0" }
            func nibble(_ c: UInt8) -> Int { c >= 0x61 ? Int(c) - 0x57 : c >= 0x41 ? Int(c) - 0x37 : Int(c) - 0x30 }
            return text(Double(nibble(digits[i]) * 16 + nibble(digits[i + 1])) / 255)
        }
        return "\(channel(0)) \(channel(2)) \(channel(4)) \(stroke ? "RG" : "rg") "
    }
}
