import ABIAudio
import CCairo
import CRsvg
#if canImport(Glibc)
import Glibc
#endif

/// Text set by Pango: a paragraph in one font and size, wrapped to a width, shaped with
/// HarfBuzz, and with every character it holds found in some installed font through
/// fontconfig's fallback (Latin and Greek and Cyrillic in DejaVu Sans, Chinese in Noto Sans CJK,
/// Arabic joined and set right to left). It is measured when made, so the layout can decide
/// where it goes, and drawn later by `PDFCanvas`.
final class PDFText {
    /// The family asked for first; fontconfig falls back to other installed fonts for characters
    /// it lacks.
    static let family = "DejaVu Sans"

    let layout: OpaquePointer
    let colour: String
    /// Size in points of the layout's logical box.
    let width: Double, height: Double
    /// Each line: the origin of its baseline relative to the layout's top-left, and its top and
    /// height.
    let lines: [(x: Double, baseline: Double, top: Double, height: Double)]
    /// Characters no installed font has: Pango draws them as boxes with their code.
    let missingCharacters: Int

    /// - Parameters:
    ///   - width: wrap to this many points (between words, or within a word wider than a line);
    ///     nil for one unwrapped line.
    ///   - ellipsize: one line cut with "…" to `width`.
    init(_ string: String, context: PDFTypesetter, bold: Bool = false, size: Double, width: Double? = nil,
         ellipsize: Bool = false, colour: String = "#111111") {
        layout = pango_layout_new(context.context)
        self.colour = colour
        let description = pango_font_description_new()
        pango_font_description_set_family(description, PDFText.family)  // copies (the _static form would keep a pointer to a temporary)
        pango_font_description_set_weight(description, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL)
        pango_font_description_set_absolute_size(description, size * Double(PANGO_SCALE))
        pango_layout_set_font_description(layout, description)
        pango_font_description_free(description)
        pango_layout_set_attributes(layout, context.attributes)
        if let width {
            pango_layout_set_width(layout, Int32(width * Double(PANGO_SCALE)))
            if ellipsize {
                pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END)
            } else {
                pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR)
            }
        }
        // Control characters would be drawn as boxes; a report line is one paragraph.
        let clean = string.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F })
            ? String(string.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : Character($0) }) : string
        pango_layout_set_text(layout, clean, -1)

        var logical = PangoRectangle()
        pango_layout_get_extents(layout, nil, &logical)
        self.width = PDFText.points(logical.width)
        self.height = PDFText.points(logical.height)
        var lines: [(x: Double, baseline: Double, top: Double, height: Double)] = []
        let iterator = pango_layout_get_iter(layout)
        repeat {
            var inLayout = PangoRectangle(), inLine = PangoRectangle()
            pango_layout_iter_get_line_extents(iterator, nil, &inLayout)
            pango_layout_line_get_extents(pango_layout_iter_get_line_readonly(iterator), nil, &inLine)
            lines.append((x: PDFText.points(inLayout.x - inLine.x), baseline: PDFText.points(pango_layout_iter_get_baseline(iterator)),
                          top: PDFText.points(inLayout.y), height: PDFText.points(inLayout.height)))
        } while pango_layout_iter_next_line(iterator) != 0
        pango_layout_iter_free(iterator)
        self.lines = lines
        missingCharacters = Int(pango_layout_get_unknown_glyphs_count(layout))
    }

    deinit { g_object_unref(UnsafeMutableRawPointer(layout)) }

    /// The baseline of the first line below the layout's top.
    var baseline: Double { lines.first?.baseline ?? 0 }

    static func points(_ units: Int32) -> Double { Double(units) / Double(PANGO_SCALE) }
}

/// The Pango context text is measured and set in, one per thread (Pango's font maps are per
/// thread), with metrics unhinted so that the layout on the page is the layout measured. It
/// keeps the texts it has set: most of a report's words (headings, labels, the references) are
/// the same in every report, and a batch of reports shapes them once per thread.
final class PDFTypesetter {
    let context: OpaquePointer
    /// No ligatures: "fi" stays two letters, so that every character of the report is one glyph
    /// of one font (a search or a copy finds it as written, and no extra font is embedded).
    let attributes: OpaquePointer

    private struct Key: Hashable {
        var string: String
        var bold: Bool
        var size: Double
        var width: Double?
        var ellipsize: Bool
        var colour: String
    }
    private var cache: [Key: PDFText] = [:]
    private static let cacheLimit = 1024

    private init() {
        let map = pango_cairo_font_map_get_default()
        context = pango_font_map_create_context(map)
        let options = cairo_font_options_create()
        cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF)
        cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE)
        pango_cairo_context_set_font_options(context, options)
        cairo_font_options_destroy(options)
        pango_cairo_context_set_resolution(context, 72)
        // Positions to the font's own fractions of a point, not whole points: text in a PDF is
        // scaled, not set on a pixel grid.
        pango_context_set_round_glyph_positions(context, 0)
        attributes = pango_attr_list_new()
        pango_attr_list_insert(attributes, pango_attr_font_features_new("liga 0, clig 0"))
    }

    deinit {
        pango_attr_list_unref(attributes)
        g_object_unref(UnsafeMutableRawPointer(context))
    }

    /// The calling thread's typesetter.
    static var current: PDFTypesetter {
        if let stored = pthread_getspecific(threadKey) { return Unmanaged<PDFTypesetter>.fromOpaque(stored).takeUnretainedValue() }
        let typesetter = PDFTypesetter()
        pthread_setspecific(threadKey, Unmanaged.passRetained(typesetter).toOpaque())
        return typesetter
    }

    private static let threadKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { Unmanaged<PDFTypesetter>.fromOpaque($0!).release() }
        return key
    }()

    private var lastLogo: (bytes: [UInt8], image: PDFImage?)?

    /// The site's logo decoded, once per thread for a batch of reports.
    func logo(_ bytes: [UInt8], mediaType: String) -> PDFImage? {
        if let last = lastLogo, last.bytes == bytes { return last.image }
        let image = PDFImage(bytes, mediaType: mediaType)
        lastLogo = (bytes, image)
        return image
    }

    /// `string` set in the given font, wrapped to `width`; the same text as before when it was
    /// set before on this thread.
    func text(_ string: String, bold: Bool, size: Double, width: Double?, ellipsize: Bool, colour: String) -> PDFText {
        let key = Key(string: string, bold: bold, size: size, width: width, ellipsize: ellipsize, colour: colour)
        if let text = cache[key] { return text }
        let text = PDFText(string, context: self, bold: bold, size: size, width: width, ellipsize: ellipsize, colour: colour)
        if cache.count >= PDFTypesetter.cacheLimit { cache.removeAll(keepingCapacity: true) }
        cache[key] = text
        return text
    }
}

/// A PDF document drawn with Cairo: pages of A4, vector paths, Pango text (the fonts embedded
/// and subset by Cairo), PNG images. Coordinates are points from the top-left corner, y down.
final class PDFCanvas {
    static let pageWidth = 595.28
    static let pageHeight = 841.89

    /// The PDF's bytes, as Cairo writes them.
    private final class Sink {
        var bytes: [UInt8] = []
    }

    private let sink = Sink()
    private let surface: OpaquePointer
    private let cairo: OpaquePointer

    init(title: String) {
        sink.bytes.reserveCapacity(64 * 1024)
        let write: cairo_write_func_t = { closure, data, length in
            let sink = Unmanaged<Sink>.fromOpaque(closure!).takeUnretainedValue()
            sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
            return CAIRO_STATUS_SUCCESS
        }
        surface = cairo_pdf_surface_create_for_stream(write, Unmanaged.passUnretained(sink).toOpaque(), PDFCanvas.pageWidth, PDFCanvas.pageHeight)
        cairo_pdf_surface_restrict_to_version(surface, CAIRO_PDF_VERSION_1_5)
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title)
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "abi")
        cairo = cairo_create(surface)
        cairo_set_line_join(cairo, CAIRO_LINE_JOIN_ROUND)
        cairo_set_line_cap(cairo, CAIRO_LINE_CAP_ROUND)
    }

    deinit {
        cairo_destroy(cairo)
        cairo_surface_destroy(surface)
    }

    /// Ends the page drawn so far; drawing goes on on a new one.
    func nextPage() { cairo_show_page(cairo) }

    /// Ends the document and gives its bytes.
    func finish() -> [UInt8] {
        cairo_show_page(cairo)
        cairo_surface_finish(surface)
        return sink.bytes
    }

    // MARK: Drawing

    /// A whole text with its top-left corner at (x, y).
    func text(_ text: PDFText, x: Double, y: Double) {
        // The layout is drawn as it was measured (its own context, unhinted; no update from the
        // surface, which would lay it out again).
        colour(text.colour)
        cairo_move_to(cairo, x, y)
        pango_cairo_show_layout(cairo, text.layout)
    }

    /// One line of a text, the line's top at y.
    func line(_ text: PDFText, _ index: Int, x: Double, y: Double) {
        let line = text.lines[index]
        colour(text.colour)
        cairo_move_to(cairo, x + line.x, y + line.baseline - line.top)
        pango_cairo_show_layout_line(cairo, pango_layout_get_line_readonly(text.layout, Int32(index)))
    }

    /// A one-line text turned by `angle` radians (counter-clockwise), its baseline starting at (x, y).
    func text(_ text: PDFText, baselineX x: Double, baselineY y: Double, angle: Double) {
        cairo_save(cairo)
        cairo_translate(cairo, x, y)
        cairo_rotate(cairo, -angle)
        self.text(text, x: 0, y: -text.baseline)
        cairo_restore(cairo)
    }

    /// A polyline, optionally closed and filled.
    func path(_ points: [(x: Double, y: Double)], closed: Bool = false, stroke: String? = "#333333", width: Double = 1, fill: String? = nil) {
        guard let first = points.first else { return }
        cairo_new_path(cairo)
        cairo_move_to(cairo, first.x, first.y)
        for p in points.dropFirst() { cairo_line_to(cairo, p.x, p.y) }
        if closed { cairo_close_path(cairo) }
        paint(stroke: stroke, width: width, fill: fill)
    }

    /// Horizontal lines in one path, stroked once.
    func rules(_ lines: [(x0: Double, x1: Double, y: Double)], stroke: String, width: Double) {
        cairo_new_path(cairo)
        for line in lines {
            cairo_move_to(cairo, line.x0, line.y)
            cairo_line_to(cairo, line.x1, line.y)
        }
        paint(stroke: stroke, width: width, fill: nil)
    }

    func circle(cx: Double, cy: Double, r: Double, stroke: String? = "#333333", width: Double = 1, fill: String? = nil) {
        cairo_new_path(cairo)
        cairo_arc(cairo, cx, cy, r, 0, 2 * Double.pi)
        cairo_close_path(cairo)
        paint(stroke: stroke, width: width, fill: fill)
    }

    /// An image scaled into the box of `width` × `height` at (x, y).
    func image(_ image: PDFImage, x: Double, y: Double, width: Double, height: Double) {
        image.draw(on: cairo, x: x, y: y, width: width, height: height)
    }

    /// A Doppler spectrum in the box of `width` × `height` at (x, y).
    func doppler(_ picture: SpectrumPicture, x: Double, y: Double, width: Double, height: Double) {
        // The drawing is laid out for 720 × 260 points: scaled into the box.
        cairo_save(cairo)
        cairo_translate(cairo, x, y)
        cairo_scale(cairo, width / 720, height / 260)
        DopplerSpectrumImage.draw(picture, cairo, x: 0, y: 0, width: 720, height: 260)
        cairo_restore(cairo)
    }

    private func paint(stroke: String?, width: Double, fill: String?) {
        if let fill {
            colour(fill)
            if stroke != nil { cairo_fill_preserve(cairo) } else { cairo_fill(cairo) }
        }
        if let stroke {
            colour(stroke)
            cairo_set_line_width(cairo, width)
            cairo_stroke(cairo)
        }
    }

    private func colour(_ hex: String) {
        let c = PDFCanvas.rgb(hex)
        cairo_set_source_rgb(cairo, c.r, c.g, c.b)
    }

    /// `#rrggbb` as fractions; anything else is black.
    static func rgb(_ hex: String) -> (r: Double, g: Double, b: Double) {
        guard hex.utf8.count == 7, hex.hasPrefix("#"), let v = Int(hex.dropFirst(), radix: 16) else { return (0, 0, 0) }
        return (Double((v >> 16) & 0xFF) / 255, Double((v >> 8) & 0xFF) / 255, Double(v & 0xFF) / 255)
    }
}

/// The letterhead's logo, decoded: a PNG by Cairo (drawn as an image) or an SVG by librsvg
/// (drawn as vectors).
final class PDFImage {
    private enum Picture {
        case png(OpaquePointer)
        case svg(UnsafeMutablePointer<RsvgHandle>)
    }
    private let picture: Picture
    /// The natural size, in pixels (PNG) or CSS pixels (SVG).
    let width: Double, height: Double

    /// Nil when the bytes are not an image of that type that can be read.
    init?(_ bytes: [UInt8], mediaType: String) {
        switch mediaType {
        case "image/png":
            guard let surface = PDFImage.decodePNG(bytes) else { return nil }
            picture = .png(surface)
            width = Double(cairo_image_surface_get_width(surface))
            height = Double(cairo_image_surface_get_height(surface))
        case "image/svg+xml":
            var error: UnsafeMutablePointer<GError>?
            let handle = bytes.withUnsafeBufferPointer { rsvg_handle_new_from_data($0.baseAddress, gsize($0.count), &error) }
            if let error { g_error_free(error) }
            guard let handle else { return nil }
            var w = 0.0, h = 0.0
            if rsvg_handle_get_intrinsic_size_in_pixels(handle, &w, &h) == 0 || w <= 0 || h <= 0 {
                // No width and height of its own: the view box gives the proportions.
                var hasWidth: gboolean = 0, hasHeight: gboolean = 0, hasViewBox: gboolean = 0
                var widthLength = RsvgLength(), heightLength = RsvgLength(), viewBox = RsvgRectangle()
                rsvg_handle_get_intrinsic_dimensions(handle, &hasWidth, &widthLength, &hasHeight, &heightLength, &hasViewBox, &viewBox)
                guard hasViewBox != 0, viewBox.width > 0, viewBox.height > 0 else {
                    g_object_unref(UnsafeMutableRawPointer(handle))
                    return nil
                }
                (w, h) = (viewBox.width, viewBox.height)
            }
            picture = .svg(handle)
            (width, height) = (w, h)
        default:
            return nil
        }
    }

    deinit {
        switch picture {
        case .png(let surface): cairo_surface_destroy(surface)
        case .svg(let handle): g_object_unref(UnsafeMutableRawPointer(handle))
        }
    }

    /// Draws the image scaled into the box at (x, y).
    func draw(on cairo: OpaquePointer, x: Double, y: Double, width: Double, height: Double) {
        cairo_save(cairo)
        switch picture {
        case .png(let surface):
            cairo_translate(cairo, x, y)
            cairo_scale(cairo, width / self.width, height / self.height)
            cairo_set_source_surface(cairo, surface, 0, 0)
            cairo_paint(cairo)
        case .svg(let handle):
            var viewport = RsvgRectangle(x: x, y: y, width: width, height: height)
            var error: UnsafeMutablePointer<GError>?
            rsvg_handle_render_document(handle, cairo, &viewport, &error)
            if let error { g_error_free(error) }
        }
        cairo_restore(cairo)
    }

    private static func decodePNG(_ bytes: [UInt8]) -> OpaquePointer? {
        final class Source {
            let bytes: [UInt8]
            var offset = 0
            init(_ bytes: [UInt8]) { self.bytes = bytes }
        }
        let source = Source(bytes)
        let read: cairo_read_func_t = { closure, data, length in
            let source = Unmanaged<Source>.fromOpaque(closure!).takeUnretainedValue()
            let n = Int(length)
            guard let data, source.offset + n <= source.bytes.count else { return CAIRO_STATUS_READ_ERROR }
            source.bytes.withUnsafeBufferPointer { all in
                data.update(from: all.baseAddress! + source.offset, count: n)
            }
            source.offset += n
            return CAIRO_STATUS_SUCCESS
        }
        let surface = withExtendedLifetime(source) {
            cairo_image_surface_create_from_png_stream(read, Unmanaged.passUnretained(source).toOpaque())
        }
        guard let surface, cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS,
              cairo_image_surface_get_width(surface) > 0, cairo_image_surface_get_height(surface) > 0 else {
            if let surface { cairo_surface_destroy(surface) }
            return nil
        }
        return surface
    }
}
