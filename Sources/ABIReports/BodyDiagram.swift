import ABICore

/// The body diagram of a report, as shapes and labels in a 290 × 330 box (y down), so that the
/// HTML (as SVG) and the PDF (as vector paths) draw the same picture. A front view: arms with the
/// brachial pressures, legs coloured by category with the ABI and the category written beside
/// them (colour is never the only label), ankle and toe pressures at their sites. The patient's
/// right is on the viewer's left.
public struct BodyDiagram {
    static let width = 290.0
    static let height = 330.0
    static let fontSize = 10.0

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
    }

    var title: String
    var head = (cx: 145.0, cy: 28.0, r: 16.0, fill: "#f2f2f2")
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
        let right = BodyDiagram.legStyle(r.right), left = BodyDiagram.legStyle(r.left)
        let rightAbi = r.right.abi.map(Ratio.text) ?? "—", leftAbi = r.left.abi.map(Ratio.text) ?? "—"
        title = "Right ABI \(rightAbi) \(right.label); left ABI \(leftAbi) \(left.label)"
        lines = [
            Line(points: [(123, 50), (167, 50), (171, 150), (119, 150)], closed: true, fill: "#f2f2f2"),  // trunk
            Line(points: [(123, 54), (95, 110), (87, 150)]),  // right arm
            Line(points: [(167, 54), (195, 110), (203, 150)]),  // left arm
            Line(points: [(121, 150), (125, 290), (113, 300)], colour: right.fill, width: 14),  // right leg
            Line(points: [(169, 150), (165, 290), (177, 300)], colour: left.fill, width: 14),  // left leg
        ]
        labels = [
            Label(x: 4, y: 100, text: "R arm \(pressure(.rightBrachial))"),
            Label(x: 222, y: 100, text: "L arm \(pressure(.leftBrachial))"),
            Label(x: 4, y: 200, text: "R ABI \(rightAbi)", bold: true),
            Label(x: 4, y: 212, text: right.label),
            Label(x: 200, y: 200, text: "L ABI \(leftAbi)", bold: true),
            Label(x: 200, y: 212, text: left.label),
            Label(x: 4, y: 276, text: "PT \(pressure(.rightPosteriorTibial)) DP \(pressure(.rightDorsalisPedis))"),
            Label(x: 195, y: 276, text: "PT \(pressure(.leftPosteriorTibial)) DP \(pressure(.leftDorsalisPedis))"),
            Label(x: 4, y: 320, text: "toe \(pressure(.rightToe))"),
            Label(x: 222, y: 320, text: "toe \(pressure(.leftToe))"),
        ]
    }

    /// The fill and the written label of a leg's category.
    public static func legStyle(_ leg: LegResult) -> (fill: String, label: String) {
        switch leg.category {
        case .normal?: ("#cfe8cf", "normal")
        case .borderline?: ("#f6e7a8", "borderline")
        case .abnormal?: ("#f4b6b0", "abnormal\(leg.severity.map { ", \($0.rawValue)" } ?? "")")
        case .noncompressible?: ("#c9c9e8", "noncompressible")
        case nil: ("#e6e6e6", leg.status == .absent ? "no signal" : "not calculable")
        }
    }

    /// The diagram as an inline SVG element, `width` wide.
    func svg(width: String) -> String {
        func e(_ text: String) -> String { HTMLReport.e(text) }
        func number(_ v: Double) -> String { PDFNumber.text(v) }
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
            s += "<text x=\"\(number(label.x))\" y=\"\(number(label.y))\"\(label.bold ? " font-weight=\"bold\"" : "")>\(e(label.text))</text>\n"
        }
        s += "</g>\n</svg>\n"
        return s
    }
}
