// Cairo (PDF surfaces, paths, PNG images) and Pango (text layout with font fallback through
// fontconfig), from Debian's libcairo2-dev and libpango1.0-dev, for the PDF report.
#include <cairo/cairo.h>
#include <cairo/cairo-pdf.h>
#include <cairo/cairo-svg.h>
#include <pango/pangocairo.h>
