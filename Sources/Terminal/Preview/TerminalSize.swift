import Glibc

/// The terminal's text grid, and its size in pixels when the terminal says
/// (many do through TIOCGWINSZ; tmux and some others report zero).
public struct TerminalSize: Sendable, Equatable {
    public var columns: Int
    public var rows: Int
    public var pixelWidth: Int?
    public var pixelHeight: Int?

    public init(columns: Int, rows: Int, pixelWidth: Int? = nil, pixelHeight: Int? = nil) {
        self.columns = columns
        self.rows = rows
        self.pixelWidth = pixelWidth.flatMap { $0 > 0 ? $0 : nil }
        self.pixelHeight = pixelHeight.flatMap { $0 > 0 ? $0 : nil }
    }

    /// The size of the terminal on `fileDescriptor`; nil when it is not a
    /// terminal (a pipe, a file) or reports an empty grid.
    public static func current(fileDescriptor: Int32 = STDOUT_FILENO) -> TerminalSize? {
        guard isatty(fileDescriptor) != 0 else { return nil }
        var size = winsize()
        guard ioctl(fileDescriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 else { return nil }
        return TerminalSize(columns: Int(size.ws_col), rows: Int(size.ws_row),
                            pixelWidth: Int(size.ws_xpixel), pixelHeight: Int(size.ws_ypixel))
    }

    /// One cell in pixels: measured when the terminal reports its pixel size,
    /// otherwise a typical 8×16 cell (only the 1:2 ratio matters for text modes).
    public var cellPixelSize: (width: Double, height: Double) {
        if let pixelWidth, let pixelHeight, columns > 0, rows > 0 {
            return (Double(pixelWidth) / Double(columns), Double(pixelHeight) / Double(rows))
        }
        return (8, 16)
    }

    /// The largest cell rectangle that shows an image of this shape without
    /// distorting it, leaving the bottom row free for a status line.
    public func fit(imageWidth: Int, imageHeight: Int) -> CellRectangle {
        let availableColumns = max(1, columns)
        let availableRows = max(1, rows - 1)
        guard imageWidth > 0, imageHeight > 0 else { return CellRectangle(columns: 0, rows: 0) }
        let cell = cellPixelSize
        let imageAspect = Double(imageWidth) / Double(imageHeight)
        // A rectangle of c × r cells is c·cellWidth / (r·cellHeight) wide for each unit of height.
        var fittedColumns = availableColumns
        var fittedRows = Int((Double(fittedColumns) * cell.width / (imageAspect * cell.height)).rounded())
        if fittedRows > availableRows {
            fittedRows = availableRows
            fittedColumns = Int((Double(fittedRows) * cell.height * imageAspect / cell.width).rounded())
        }
        return CellRectangle(columns: min(availableColumns, max(1, fittedColumns)),
                             rows: min(availableRows, max(1, fittedRows)))
    }
}

/// A block of terminal cells.
public struct CellRectangle: Sendable, Equatable {
    public var columns: Int
    public var rows: Int
    public init(columns: Int, rows: Int) {
        self.columns = columns
        self.rows = rows
    }
}
