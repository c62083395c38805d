// librsvg, from Debian's librsvg2-dev: draws the letterhead's SVG logo into the PDF with Cairo,
// as vectors.
#include <librsvg/rsvg.h>
