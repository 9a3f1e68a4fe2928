/// Escape sequences are assembled byte by byte in the encoders' inner loops;
/// these appenders avoid building a String (and allocating) per number.
extension Array where Element == UInt8 {
    @inline(__always)
    mutating func appendASCII(_ text: StaticString) {
        text.withUTF8Buffer { append(contentsOf: $0) }
    }

    /// Appends a non-negative integer in decimal.
    @inline(__always)
    mutating func appendDecimal(_ value: Int) {
        precondition(value >= 0)
        var divisor = 1
        while divisor <= value / 10 { divisor *= 10 }
        while divisor > 0 {
            append(UInt8(truncatingIfNeeded: 48 + value / divisor % 10))
            divisor /= 10
        }
    }

    /// `ESC [ row ; column H`, 1-based: absolute, so a frame lands in the same
    /// place whatever was printed before it.
    mutating func appendCursorPosition(row: Int, column: Int) {
        appendASCII("\u{1B}[")
        appendDecimal(row)
        append(UInt8(ascii: ";"))
        appendDecimal(column)
        append(UInt8(ascii: "H"))
    }
}

/// Where a frame's top-left corner goes, in 1-based terminal cells.
public struct CellPosition: Sendable, Equatable {
    public var row: Int
    public var column: Int
    public init(row: Int, column: Int) {
        precondition(row >= 1 && column >= 1, "CellPosition is 1-based")
        self.row = row
        self.column = column
    }
    public static let home = CellPosition(row: 1, column: 1)
}
