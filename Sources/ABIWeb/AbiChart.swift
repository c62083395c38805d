import ABICore
import ABIReports
import ABIStore

/// Each leg's ABI over time as an SVG line chart: the normal band (1.00–1.40) and the borderline
/// band (0.91–0.99) shaded, one point per exam, and the R18 changes ringed and labelled, so that a
/// fall beyond the minimal detectable change stands out. Right and left legs are drawn apart by
/// shape and dash as well as colour.
enum AbiChart {
    static let width = 640.0, height = 260.0
    static let left = 48.0, right = 90.0, top = 16.0, bottom = 40.0  // room on the right for the change labels
    /// The ABI axis, in hundredths.
    static let low = 0, high = 160

    static func svg(_ entries: [Store.HistoryEntry]) -> String {
        let points = entries.filter { $0.rightAbi != nil || $0.leftAbi != nil }
        guard !points.isEmpty else { return "<p class=\"empty\">No ABI to chart yet.</p>" }
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func x(_ i: Int) -> Double { points.count == 1 ? left + plotWidth / 2 : left + plotWidth * Double(i) / Double(points.count - 1) }
        func y(_ abi: Int) -> Double { top + plotHeight * (1 - Double(min(max(abi, low), high) - low) / Double(high - low)) }
        func n(_ v: Double) -> String {  // one decimal at most (coordinates are never negative)
            let tenths = Int((max(0, v) * 10).rounded())
            return tenths % 10 == 0 ? String(tenths / 10) : String(tenths / 10) + "." + String(tenths % 10)
        }
        var s = ""
        s.reserveCapacity(2_000 + points.count * 450)
        s += "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-labelledby=\"chart-title\">"
        let summary = points.map { "\($0.performedAt.prefix(10)): right \($0.rightAbi.map(Ratio.text) ?? "—"), left \($0.leftAbi.map(Ratio.text) ?? "—")" }.joined(separator: "; ")
        s += "<title id=\"chart-title\">ABI per leg over time. \(Page.e(summary))</title>"
        // Bands: normal and borderline.
        s += "<rect x=\"\(n(left))\" y=\"\(n(y(140)))\" width=\"\(n(plotWidth))\" height=\"\(n(y(100) - y(140)))\" fill=\"#cfe8cf\"/>"
        s += "<rect x=\"\(n(left))\" y=\"\(n(y(99)))\" width=\"\(n(plotWidth))\" height=\"\(n(y(91) - y(99)))\" fill=\"#f6e7a8\"/>"
        for tick in stride(from: low, through: high, by: 20) {
            s += "<line x1=\"\(n(left))\" x2=\"\(n(width - right))\" y1=\"\(n(y(tick)))\" y2=\"\(n(y(tick)))\" stroke=\"#d5d5d5\" stroke-width=\"0.5\"/>"
            s += "<text x=\"\(n(left - 6))\" y=\"\(n(y(tick) + 4))\" text-anchor=\"end\" font-size=\"11\" fill=\"#333\">\(Ratio.text(tick))</text>"
        }
        s += "<text x=\"\(n(width - right + 4))\" y=\"\(n(y(120) + 4))\" font-size=\"11\" fill=\"#2f5f2f\">normal</text>"
        // At most eight dates under the axis, evenly spread (the first and the last among them).
        let every = max(1, (points.count + 7) / 8)
        for (i, entry) in points.enumerated() where i % every == 0 || i == points.count - 1 {
            if i == points.count - 1, i % every != 0, points.count - 1 - (i / every) * every < every / 2 { continue }
            s += "<text x=\"\(n(x(i)))\" y=\"\(n(height - bottom + 16))\" text-anchor=\"middle\" font-size=\"11\" fill=\"#333\">\(Page.e(String(entry.performedAt.prefix(10))))</text>"
        }
        // Each point's coordinates and date, worked out once.
        let xs = points.indices.map { n(x($0)) }
        let dates = points.map { String($0.performedAt.prefix(10)) }
        for (side, colour, dash) in [(Side.right, "#1d5fa8", ""), (.left, "#8e1b1b", " stroke-dasharray=\"6 4\"")] {
            let values = points.enumerated().compactMap { i, e in (side == .right ? e.rightAbi : e.leftAbi).map { (i, $0, e, n(y($0))) } }
            if values.count > 1 {
                s += "<polyline fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"2\"" + dash + " points=\""
                for (k, value) in values.enumerated() {
                    if k > 0 { s += " " }
                    s += xs[value.0] + "," + value.3
                }
                s += "\"/>"
            }
            for (i, abi, entry, yText) in values {
                if side == .right {
                    s += "<circle cx=\"" + xs[i] + "\" cy=\"" + yText + "\" r=\"4\" fill=\"" + colour + "\"><title>Right ABI " + Ratio.text(abi) + " on " + dates[i] + "</title></circle>"
                } else {
                    s += "<rect x=\"" + n(x(i) - 4) + "\" y=\"" + n(y(abi) - 4) + "\" width=\"8\" height=\"8\" fill=\"" + colour + "\"><title>Left ABI " + Ratio.text(abi) + " on " + dates[i] + "</title></rect>"
                }
                if entry.changes.contains(where: { $0.side == side }) {
                    s += "<circle class=\"change\" cx=\"\(xs[i])\" cy=\"\(yText)\" r=\"10\" fill=\"none\" stroke=\"#e07b00\" stroke-width=\"2.5\"/>"
                    s += "<text x=\"\(n(x(i) + 13))\" y=\"\(n(y(abi) - 8))\" font-size=\"11\" fill=\"#8a4a00\">\(side == .right ? "R" : "L") change</text>"
                }
            }
        }
        s += "</svg>"
        s += "<p class=\"legend\"><span class=\"key right\">● right leg</span> <span class=\"key left\">■ left leg (dashed)</span> <span class=\"key change\">○ change beyond the minimal detectable change (R18)</span></p>"
        return s
    }
}
