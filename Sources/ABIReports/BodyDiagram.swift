import ABICore

/// The body diagram of a report, as shapes and labels in a 360 × 430 box (y down), so that the
/// HTML (as SVG) and the PDF (drawn with Cairo) draw the same picture. A front view: arms with the
/// brachial pressures, legs coloured by category with the ABI and the category written beside
/// them (colour is never the only label), ankle and toe pressures at their sites. The patient's
/// right is on the viewer's left.
public struct BodyDiagram {
    public static let width = 360.0
    public static let height = 430.0
    /// Labels are 14.5 units high: at least 8 pt in the HTML (74 mm wide) and the PDF (200 pt wide).
    public static let fontSize = 14.5

    struct Line {
        var points: [(x: Double, y: Double)]
        var closed = false
        var colour = "#333333"
        var width = 2.0
        var fill: String?
    }

    struct Label {
        var x: Double
        var y: Double
        var text: String
        var bold = false
        /// Ends at `x` (the labels on the viewer's right), so that no label runs off the box.
        var alignRight = false
    }

    /// The colours and their meaning, worst first (the legend).
    public static let legend: [(fill: String, words: String)] = [
        (strongest, "severe or no signal"),
        ("#e35d50", "moderate PAD"),
        ("#f4b6b0", "mild PAD"),
        ("#f6e7a8", "borderline"),
        ("#cfe8cf", "normal"),
        ("#c9c9e8", "noncompressible"),
        ("#e6e6e6", "not calculated"),
    ]
    static let strongest = "#8e1b1b"

    var title: String
    var head = (cx: 180.0, cy: 28.0, r: 16.0, fill: "#f2f2f2")
    var lines: [Line]
    var labels: [Label]

    public init(_ report: ExamReport) {
        let r = report.result
        let latest = Dictionary(report.readings.filter { !$0.superseded && !$0.postExercise }.map { ($0.reading.site, $0.reading.state) }) { a, _ in a }
        func pressure(_ site: Site) -> String {
            guard let state = latest[site] else { return "—" }
            switch state {
            case .numeric(let p): return "\(p.systolic.mmHg)"
            case .absent: return "absent"
            case .noncompressible: return "NC"
            case .notMeasured: return "n/m"
            case .deviceError: return "error"
            }
        }
        /// Both ankle arteries not measured for an amputation: the leg is drawn as a stump.
        func amputated(_ side: Side) -> Bool {
            AnkleArtery.allCases.allSatisfy { artery in
                if case .notMeasured(let reason)? = latest[.ankle(side, artery)] { reason.lowercased().contains("amput") } else { false }
            }
        }
        let right = BodyDiagram.legStyle(r.right, amputated: amputated(.right)), left = BodyDiagram.legStyle(r.left, amputated: amputated(.left))
        let rightAbi = r.right.abi.map(Ratio.text) ?? "—", leftAbi = r.left.abi.map(Ratio.text) ?? "—"
        title = "Right ABI \(rightAbi) \(right.label); left ABI \(leftAbi) \(left.label)"
        func leg(_ side: Side, _ style: (fill: String, label: String)) -> Line {
            let x0 = side == .right ? 156.0 : 204.0, x1 = side == .right ? 160.0 : 200.0, foot = side == .right ? 148.0 : 212.0
            let points: [(x: Double, y: Double)] = amputated(side) ? [(x0, 150), (x0 + (x1 - x0) * 0.45, 215)] : [(x0, 150), (x1, 290), (foot, 300)]
            return Line(points: points, colour: style.fill, width: 14)
        }
        lines = [
            Line(points: [(158, 50), (202, 50), (206, 150), (154, 150)], closed: true, fill: "#f2f2f2"),  // trunk
            Line(points: [(158, 54), (130, 110), (122, 150)]),  // right arm
            Line(points: [(202, 54), (230, 110), (238, 150)]),  // left arm
            leg(.right, right),
            leg(.left, left),
        ]
        func words(_ label: String) -> [String] {
            // "abnormal, moderate" on two lines, so that it never runs into the leg.
            label.split(separator: ",").map { String($0.drop(while: { $0 == " " })) }
        }
        var labels = [
            Label(x: 4, y: 100, text: "R arm \(pressure(.rightBrachial))"),
            Label(x: 356, y: 100, text: "L arm \(pressure(.leftBrachial))", alignRight: true),
            Label(x: 4, y: 190, text: "R ABI \(rightAbi)", bold: true),
            Label(x: 356, y: 190, text: "L ABI \(leftAbi)", bold: true, alignRight: true),
            Label(x: 4, y: 276, text: "PT \(pressure(.rightPosteriorTibial)) DP \(pressure(.rightDorsalisPedis))"),
            Label(x: 356, y: 276, text: "PT \(pressure(.leftPosteriorTibial)) DP \(pressure(.leftDorsalisPedis))", alignRight: true),
            Label(x: 4, y: 318, text: "toe \(pressure(.rightToe))"),
            Label(x: 356, y: 318, text: "toe \(pressure(.leftToe))", alignRight: true),
        ]
        for (i, line) in words(right.label).enumerated() { labels.append(Label(x: 4, y: 207 + Double(i) * 17, text: line)) }
        for (i, line) in words(left.label).enumerated() { labels.append(Label(x: 356, y: 207 + Double(i) * 17, text: line, alignRight: true)) }
        // The legend: what each colour means (the labels above say it for each leg as well).
        for (i, entry) in BodyDiagram.legend.enumerated() {
            let column = Double(i / 4), row = Double(i % 4)
            let x = 4 + column * 180, y = 350 + row * 19
            lines.append(Line(points: [(x, y - 11), (x + 12, y - 11), (x + 12, y + 1), (x, y + 1)], closed: true, colour: "#555555", width: 0.5, fill: entry.fill))
            labels.append(Label(x: x + 17, y: y, text: entry.words))
        }
        self.labels = labels
    }

    /// The fill and the written label of a leg: absent signals and an ABI below 0.40 in the
    /// strongest colour, then moderate, mild, borderline, normal; an amputated leg says so.
    public static func legStyle(_ leg: LegResult, amputated: Bool = false) -> (fill: String, label: String) {
        if amputated { return ("#e6e6e6", "amputated") }
        if leg.status == .absent { return (strongest, "no signal") }
        switch leg.category {
        case .normal?: return ("#cfe8cf", "normal")
        case .borderline?: return ("#f6e7a8", "borderline")
        case .abnormal?:
            let label = "abnormal\(leg.severity.map { ", \($0 == .mildModerate ? "mild-moderate" : $0.rawValue)" } ?? "")"
            if let abi = leg.abi, abi < 40 { return (strongest, label) }
            switch leg.severity {
            case .severe?: return (strongest, label)
            case .moderate?: return ("#e35d50", label)
            default: return ("#f4b6b0", label)
            }
        case .noncompressible?: return ("#c9c9e8", "noncompressible")
        case nil: return ("#e6e6e6", "not calculable")
        }
    }

    /// Where each site is on the drawing (the patient's right on the viewer's left), for the
    /// rings of a capture in progress.
    public static let sitePositions: [Site: (x: Double, y: Double)] = [
        .rightBrachial: (144, 82), .leftBrachial: (216, 82),
        .rightPosteriorTibial: (167, 281), .rightDorsalisPedis: (152, 296), .rightToe: (140, 304),
        .leftPosteriorTibial: (193, 281), .leftDorsalisPedis: (208, 296), .leftToe: (220, 304),
    ]

    /// The diagram as an inline SVG element, `width` wide; with `current`, every site ringed
    /// (`id="mark-RB"` and so on, class `site-mark`) and the site being measured ringed boldly
    /// (class `current`).
    public func svg(width: String, current: Site?) -> String {
        var rings = "<g class=\"site-marks\">\n"
        for site in Site.allCases {
            guard let at = BodyDiagram.sitePositions[site] else { continue }
            let code = site.code
            rings += "<circle id=\"mark-\(code)\" class=\"site-mark\(site == current ? " current" : "")\" cx=\"\(number(at.x))\" cy=\"\(number(at.y))\" r=\"7\"><title>\(HTMLReport.e(site.words))</title></circle>\n"
        }
        rings += "</g>\n</svg>\n"
        var drawing = svg(width: width)
        drawing.removeLast("</svg>\n".count)
        return drawing + rings
    }

    /// The diagram as an inline SVG element, `width` wide.
    public func svg(width: String) -> String {
        func e(_ text: String) -> String { HTMLReport.e(text) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(BodyDiagram.width)) \(Int(BodyDiagram.height))\" width=\"\(width)\" role=\"img\" aria-label=\"Body diagram with pressures\">\n"
        s += "<title>\(e(title))</title>\n"
        s += "<g stroke-linejoin=\"round\">\n"
        s += "<circle cx=\"\(number(head.cx))\" cy=\"\(number(head.cy))\" r=\"\(number(head.r))\" fill=\"\(head.fill)\" stroke=\"#333333\" stroke-width=\"2\"/>\n"
        for line in lines {
            let d = line.points.enumerated().map { "\($0.offset == 0 ? "M" : "L")\(number($0.element.x)) \(number($0.element.y))" }.joined(separator: " ") + (line.closed ? " Z" : "")
            s += "<path d=\"\(d)\" fill=\"\(line.fill ?? "none")\" stroke=\"\(line.colour)\" stroke-width=\"\(number(line.width))\"/>\n"
        }
        s += "</g>\n<g font-size=\"\(number(BodyDiagram.fontSize))\" font-family=\"sans-serif\" fill=\"#111\">\n"
        for label in labels {
            s += "<text x=\"\(number(label.x))\" y=\"\(number(label.y))\"\(label.bold ? " font-weight=\"bold\"" : "")\(label.alignRight ? " text-anchor=\"end\"" : "")>\(e(label.text))</text>\n"
        }
        s += "</g>\n</svg>\n"
        return s
    }
}

/// Numbers as SVG writes them: at most two decimals, no exponent, no trailing zeros.
func number(_ value: Double) -> String {
    let hundredths = Int((value * 100).rounded())
    let sign = hundredths < 0 ? "-" : ""
    let whole = abs(hundredths) / 100, fraction = abs(hundredths) % 100
    if fraction == 0 { return sign + String(whole) }
    let digits = fraction < 10 ? "0\(fraction)" : String(fraction)
    return sign + "\(whole)." + (digits.hasSuffix("0") ? String(digits.dropLast()) : digits)
}
