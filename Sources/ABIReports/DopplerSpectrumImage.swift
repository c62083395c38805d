import ABIAudio
import CCairo

/// The Doppler spectrum of a site as a picture: the spectrum in grey on black (the way a
/// spectral Doppler display shows it), forward flow above the baseline and reverse flow below
/// it, the maximum-frequency envelope drawn over it, axes in kHz and seconds, the description as
/// the caption. One drawing for the SVG and PNG of `abi doppler analyze` and for the PDF report.
public enum DopplerSpectrumImage {
    /// The picture as an SVG document.
    public static func svg(_ picture: SpectrumPicture, width: Double = 720, height: Double = 260) -> [UInt8] {
        let sink = ByteSink()
        let surface = cairo_svg_surface_create_for_stream(ByteSink.write, Unmanaged.passUnretained(sink).toOpaque(), width, height)!
        let cr = cairo_create(surface)!
        draw(picture, cr, x: 0, y: 0, width: width, height: height)
        cairo_destroy(cr)
        cairo_surface_finish(surface)
        cairo_surface_destroy(surface)
        return sink.bytes
    }

    /// The picture as a PNG image (pixels).
    public static func png(_ picture: SpectrumPicture, width: Int = 1440, height: Int = 520) -> [UInt8] {
        let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(width), Int32(height))!
        let cr = cairo_create(surface)!
        cairo_scale(cr, Double(width) / 720, Double(height) / 260)
        draw(picture, cr, x: 0, y: 0, width: 720, height: 260)
        cairo_destroy(cr)
        let sink = ByteSink()
        cairo_surface_write_to_png_stream(surface, ByteSink.write, Unmanaged.passUnretained(sink).toOpaque())
        cairo_surface_destroy(surface)
        return sink.bytes
    }

    /// Draws the picture into a Cairo context, in the box given (points).
    static func draw(_ picture: SpectrumPicture, _ cr: OpaquePointer, x: Double, y: Double, width: Double, height: Double) {
        let left = x + 46, right = x + width - 8, top = y + 22, bottom = y + height - 26
        let plotWidth = right - left, plotHeight = bottom - top
        cairo_save(cr)
        // White box, caption.
        cairo_set_source_rgb(cr, 1, 1, 1)
        cairo_rectangle(cr, x, y, width, height)
        cairo_fill(cr)
        cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD)
        cairo_set_font_size(cr, 11)
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1)
        cairo_move_to(cr, left, y + 14)
        cairo_show_text(cr, picture.caption)

        // The frequency scale: up to 20% above the highest envelope, in whole kHz, 2–10 kHz.
        let highest = max(picture.forwardEnvelope.max() ?? 0, picture.reverseEnvelope?.max() ?? 0)
        let topHz = min(10_000, max(2_000, ((highest * 1.2) / 1_000).rounded(.up) * 1_000))
        let stereo = picture.reverse != nil
        let forwardShare = stereo ? 0.65 : 1.0
        let baseline = top + plotHeight * forwardShare
        let hzPerPoint = topHz / (plotHeight * forwardShare)

        // The spectrum as an image, one pixel per column and row.
        let columns = picture.forward.count
        let rowsUp = min(picture.forward.first?.count ?? 0, Int((topHz / picture.hzPerRow).rounded(.up)))
        let rowsDown = stereo ? min(picture.reverse!.first?.count ?? 0, Int((topHz * (1 - forwardShare) / forwardShare / picture.hzPerRow).rounded(.up))) : 0
        cairo_set_source_rgb(cr, 0, 0, 0)
        cairo_rectangle(cr, left, top, plotWidth, plotHeight)
        cairo_fill(cr)
        if columns > 0 && rowsUp > 0 {
            let image = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(columns), Int32(rowsUp + rowsDown))!
            let stride = Int(cairo_image_surface_get_stride(image))
            let data = cairo_image_surface_get_data(image)!
            func put(_ column: Int, _ row: Int, _ db: UInt8) {
                let level = UInt32(min(255, Int(db) * 255 / 30))
                let pixel = data.advanced(by: row * stride + column * 4).withMemoryRebound(to: UInt32.self, capacity: 1) { $0 }
                pixel.pointee = level << 16 | level << 8 | level
            }
            for c in 0 ..< columns {
                for r in 0 ..< rowsUp where r < picture.forward[c].count { put(c, rowsUp - 1 - r, picture.forward[c][r]) }
                if let reverse = picture.reverse {
                    for r in 0 ..< rowsDown where r < reverse[c].count { put(c, rowsUp + r, reverse[c][r]) }
                }
            }
            cairo_surface_mark_dirty(image)
            cairo_save(cr)
            cairo_rectangle(cr, left, top, plotWidth, plotHeight)
            cairo_clip(cr)
            let pixelHeight = picture.hzPerRow / hzPerPoint
            cairo_translate(cr, left, baseline - Double(rowsUp) * pixelHeight)
            cairo_scale(cr, plotWidth / Double(columns), pixelHeight)
            cairo_set_source_surface(cr, image, 0, 0)
            cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_BILINEAR)
            cairo_paint(cr)
            cairo_restore(cr)
            cairo_surface_destroy(image)
        }

        // The envelope: forward above the baseline, reverse below.
        func envelope(_ values: [Double], sign: Double) {
            guard values.count > 1 else { return }
            cairo_new_path(cr)
            for (i, hz) in values.enumerated() {
                let px = left + plotWidth * (Double(i) + 0.5) / Double(values.count)
                let py = baseline - sign * min(hz, topHz) / hzPerPoint
                if i == 0 { cairo_move_to(cr, px, py) } else { cairo_line_to(cr, px, py) }
            }
            cairo_set_source_rgb(cr, 1, 0.69, 0)
            cairo_set_line_width(cr, 1.2)
            cairo_stroke(cr)
        }
        cairo_save(cr)
        cairo_rectangle(cr, left, top, plotWidth, plotHeight)
        cairo_clip(cr)
        envelope(picture.forwardEnvelope, sign: 1)
        if let reverse = picture.reverseEnvelope { envelope(reverse, sign: -1) }
        cairo_restore(cr)
        // Baseline and axes.
        cairo_set_source_rgb(cr, 0.55, 0.8, 1)
        cairo_set_line_width(cr, 0.8)
        cairo_move_to(cr, left, baseline)
        cairo_line_to(cr, right, baseline)
        cairo_stroke(cr)
        cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, 9)
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2)
        let stepHz = topHz > 6_000 ? 2_000.0 : 1_000.0
        var hz = 0.0
        while hz <= topHz + 1 {
            let py = baseline - hz / hzPerPoint
            label(cr, hz == 0 ? "0" : "\(Int(hz / 1000))", rightAlignedAt: left - 4, y: py + 3)
            hz += stepHz
        }
        if stereo {
            var down = stepHz
            while baseline + down / hzPerPoint <= bottom + 1 {
                label(cr, "-\(Int(down / 1000))", rightAlignedAt: left - 4, y: baseline + down / hzPerPoint + 3)
                down += stepHz
            }
        }
        cairo_save(cr)
        cairo_move_to(cr, x + 10, top + plotHeight / 2 + 14)
        cairo_rotate(cr, -Double.pi / 2)
        cairo_show_text(cr, "kHz")
        cairo_restore(cr)
        let seconds = picture.seconds
        if seconds > 0 {
            var s = 0.0
            while s <= seconds + 0.001 {
                let px = left + plotWidth * s / seconds
                cairo_move_to(cr, px, bottom)
                cairo_line_to(cr, px, bottom + 3)
                cairo_stroke(cr)
                label(cr, "\(Int(s)) s", centredAt: px, y: bottom + 13)
                s += 1
            }
        }
        cairo_restore(cr)
    }

    static func label(_ cr: OpaquePointer, _ text: String, rightAlignedAt x: Double, y: Double) {
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, text, &extents)
        cairo_move_to(cr, x - extents.x_advance, y)
        cairo_show_text(cr, text)
    }

    static func label(_ cr: OpaquePointer, _ text: String, centredAt x: Double, y: Double) {
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, text, &extents)
        cairo_move_to(cr, x - extents.x_advance / 2, y)
        cairo_show_text(cr, text)
    }
}

/// Bytes Cairo writes to a stream.
final class ByteSink {
    var bytes: [UInt8] = []
    static let write: cairo_write_func_t = { closure, data, length in
        let sink = Unmanaged<ByteSink>.fromOpaque(closure!).takeUnretainedValue()
        sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
        return CAIRO_STATUS_SUCCESS
    }
}
