import Foundation

/// Draws an image with the kitty graphics protocol (kitty, WezTerm, Ghostty):
/// raw RGB pixels, base64 in APC `ESC _ G … ESC \` chunks, displayed scaled
/// to a cell rectangle by the terminal itself.
public enum KittyEncoder {
    /// The protocol's limit on base64 bytes per chunk; every chunk but the
    /// last must also be a multiple of 4 (4096 is).
    public static let maximumChunkSize = 4096

    /// The sequences that transmit and show `image` stretched over
    /// `columns × rows` cells with its top-left at `origin`.
    ///
    /// Keys: `a=T` transmit and display; `f=24` packed RGB; `s`,`v` the pixel
    /// size; `i` the image id and `p` the placement id: sending the same pair
    /// again replaces the previous frame instead of stacking a new image;
    /// `c`,`r` the cell rectangle; `C=1` leaves the cursor where it is (no
    /// scrolling at the bottom edge); `q=2` no replies (they would arrive on
    /// stdin as garbage keystrokes). Continuation chunks carry only `m` (and `q`).
    public static func encode(_ image: RGBImage, columns: Int, rows: Int, imageID: UInt32 = 1,
                              origin: CellPosition = .home) -> [UInt8] {
        precondition(imageID > 0, "kitty image id 0 means 'none'")
        let payload = [UInt8](Data(image.pixels).base64EncodedData())
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + (payload.count / maximumChunkSize + 1) * 24 + 96)
        out.appendCursorPosition(row: origin.row, column: origin.column)
        var start = 0
        repeat {
            let end = min(payload.count, start + maximumChunkSize)
            let more = end < payload.count
            out.appendASCII("\u{1B}_G")
            if start == 0 {
                out.appendASCII("a=T,f=24,s=")
                out.appendDecimal(image.width)
                out.appendASCII(",v=")
                out.appendDecimal(image.height)
                out.appendASCII(",i=")
                out.appendDecimal(Int(imageID))
                out.appendASCII(",p=1,c=")
                out.appendDecimal(columns)
                out.appendASCII(",r=")
                out.appendDecimal(rows)
                out.appendASCII(",C=1,q=2,")
            } else {
                out.appendASCII("q=2,")
            }
            out.appendASCII(more ? "m=1;" : "m=0;")
            out.append(contentsOf: payload[start..<end])
            out.appendASCII("\u{1B}\\")
            start = end
        } while start < payload.count
        return out
    }

    /// Removes the image's placements and frees its data (`a=d,d=I`): used
    /// when the layout changes and when the preview closes.
    public static func delete(imageID: UInt32 = 1) -> [UInt8] {
        var out: [UInt8] = []
        out.appendASCII("\u{1B}_Ga=d,d=I,i=")
        out.appendDecimal(Int(imageID))
        out.appendASCII(",q=2\u{1B}\\")
        return out
    }
}
