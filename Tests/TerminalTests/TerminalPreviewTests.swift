import XCTest
import TerminalTestSupport
import Foundation
@testable import Terminal

final class TerminalPreviewTests: XCTestCase {
    /// Reads a pipe on its own thread, optionally slowly, until EOF.
    final class SlowReader: @unchecked Sendable {
        private let fileDescriptor: Int32
        private let delayPerRead: useconds_t
        private let done = DispatchSemaphore(value: 0)
        private var bytes: [UInt8] = []

        init(fileDescriptor: Int32, delayPerRead: useconds_t) {
            self.fileDescriptor = fileDescriptor
            self.delayPerRead = delayPerRead
            Thread { [self] in
                var chunk = [UInt8](repeating: 0, count: 16384)
                while true {
                    let count = read(fileDescriptor, &chunk, chunk.count)
                    if count <= 0 { break }
                    bytes += chunk[0..<count]
                    usleep(delayPerRead)
                }
                done.signal()
            }.start()
        }

        func waitForEOFBytes() -> [UInt8] {
            done.wait()
            return bytes
        }

        func waitForEOF() -> String { String(decoding: waitForEOFBytes(), as: UTF8.self) }
    }

    private func makePipe() -> (read: Int32, write: Int32) {
        var ends: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&ends), 0)
        return (ends[0], ends[1])
    }

    private func statuses(in output: String) -> [Int] {
        output.components(separatedBy: "frame ").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
    }

    /// A slow terminal: show() stays instant, frames are skipped, the last frame is drawn.
    func testShowNeverBlocksAndSkipsFramesForASlowTerminal() {
        let ends = makePipe()
        let reader = SlowReader(fileDescriptor: ends.read, delayPerRead: 3000)
        let preview = TerminalPreview(mode: .truecolor, output: ends.write) { TerminalSize(columns: 120, rows: 40) }
        let frames = (0..<4).map { TestImages.smoothField(width: 320 + $0, height: 180) }
        var slowestShow = 0.0
        let count = 300
        for n in 0..<count {
            let start = Date()
            preview.show(frames[n % frames.count], status: "frame \(n)")
            slowestShow = max(slowestShow, Date().timeIntervalSince(start))
            usleep(1000)   // a 1000 fps video: the drawing thread gets to run, but can't keep up
        }
        preview.close()
        close(ends.write)
        let output = reader.waitForEOF()
        let drawn = statuses(in: output)

        XCTAssertLessThan(slowestShow, 0.05, "show() must not wait for the terminal")
        XCTAssertEqual(drawn.last, count - 1, "the last frame is always drawn")
        XCTAssertLessThan(drawn.count, count, "frames are skipped when the terminal can't keep up")
        XCTAssertGreaterThanOrEqual(drawn.count, 2, "and drawn while frames keep coming, not only at close")
        XCTAssertEqual(drawn, drawn.sorted(), "frames drawn in order")
        XCTAssertEqual(preview.framesShown, count)
        XCTAssertEqual(preview.framesDrawn, drawn.count)
        XCTAssertNil(preview.writeFailure)
        print("TerminalPreview: \(drawn.count) of \(count) frames drawn through a slow pipe")

        XCTAssertTrue(output.hasPrefix("\u{1B}[?1049h\u{1B}[?25l"), "alternate screen, cursor hidden")
        XCTAssertTrue(output.hasSuffix("\u{1B}[?1049l\u{1B}[?25h"), "normal screen and cursor back on close")
    }

    /// A new terminal size is used at the next frame, after clearing the old one.
    func testResizeIsPickedUpAtTheNextFrame() {
        let ends = makePipe()
        let reader = SlowReader(fileDescriptor: ends.read, delayPerRead: 0)
        let size = LockedSize(TerminalSize(columns: 40, rows: 21))
        let preview = TerminalPreview(mode: .ansi256, output: ends.write) { size.value }
        let image = TestImages.gradient(width: 64, height: 64)   // square: 2 columns per row of half blocks
        preview.show(image, status: "frame 0")
        waitUntil { preview.framesDrawn == 1 }
        size.value = TerminalSize(columns: 40, rows: 11)
        preview.show(image, status: "frame 1")
        preview.close()
        close(ends.write)
        let output = reader.waitForEOF()

        let frames = output.components(separatedBy: "frame 0")
        XCTAssertEqual(frames.count, 2)
        // First frame: 40 columns × 20 rows; after the resize, 20 rows of 10: cursor positioned on rows 1…10 only.
        XCTAssertTrue(frames[0].contains("\u{1B}[20;1H"))
        XCTAssertTrue(frames[1].contains("\u{1B}[2J"), "cleared on resize")
        XCTAssertTrue(frames[1].contains("\u{1B}[10;1H"))
        XCTAssertFalse(frames[1].contains("\u{1B}[12;1H"))
        XCTAssertEqual(frames[1].components(separatedBy: "▀").count - 1, 20 * 10)
    }

    func testEachModeDrawsSomething() {
        for mode in PreviewMode.allCases {
            let ends = makePipe()
            let reader = SlowReader(fileDescriptor: ends.read, delayPerRead: 0)
            let preview = TerminalPreview(mode: mode, output: ends.write) {
                TerminalSize(columns: 80, rows: 25, pixelWidth: 640, pixelHeight: 400)
            }
            preview.show(TestImages.smoothField(width: 160, height: 90), status: "ok")
            preview.close()
            close(ends.write)
            let output = reader.waitForEOF()
            XCTAssertEqual(preview.framesDrawn, 1, "\(mode)")
            XCTAssertTrue(output.contains("ok"), "\(mode)")
            switch mode {
            case .kitty: XCTAssertTrue(output.contains("\u{1B}_Ga=T"))
            case .sixel: XCTAssertTrue(output.contains("\u{1B}P0;1;0q"))
            case .truecolor: XCTAssertTrue(output.contains("38;2;"))
            case .ansi256: XCTAssertTrue(output.contains("38;5;"))
            }
        }
    }

    /// A reader that goes away is a reported failure, not a crash or a hang.
    func testClosedReaderIsReported() {
        signal(SIGPIPE, SIG_IGN)
        let ends = makePipe()
        close(ends.read)
        let preview = TerminalPreview(mode: .truecolor, output: ends.write) { TerminalSize(columns: 20, rows: 10) }
        preview.show(TestImages.gradient(width: 10, height: 10))
        waitUntil { preview.writeFailure != nil }
        XCTAssertEqual(preview.writeFailure, .closed)
        preview.show(TestImages.gradient(width: 10, height: 10))
        preview.close()
        close(ends.write)
    }

    private func waitUntil(_ condition: () -> Bool) {
        let deadline = Date().addingTimeInterval(10)
        while !condition() && Date() < deadline { usleep(1000) }
        XCTAssertTrue(condition())
    }
}

final class LockedSize: @unchecked Sendable {
    private let lock = NSLock()
    private var size: TerminalSize
    init(_ size: TerminalSize) { self.size = size }
    var value: TerminalSize {
        get { lock.lock(); defer { lock.unlock() }; return size }
        set { lock.lock(); size = newValue; lock.unlock() }
    }
}

/// The whole preview, as a terminal shows it.
final class TerminalPreviewScreenTests: XCTestCase {
    /// One frame through `TerminalPreview`, replayed in tmux (without the
    /// closing sequence, which would switch back to the empty normal screen):
    /// the picture fills the fitted cells from the top-left, the status line
    /// sits right under it, and nothing else is on screen.
    func testFrameAndStatusLineOnARealTerminal() throws {
        var ends: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&ends), 0)
        let reader = TerminalPreviewTests.SlowReader(fileDescriptor: ends[0], delayPerRead: 0)
        let size = TerminalSize(columns: 80, rows: 30)
        let preview = TerminalPreview(mode: .truecolor, output: ends[1]) { size }
        let image = TestImages.blocks(width: 320, height: 180, columns: 4, rows: 2)
        preview.show(image, status: "frame 12  4.0 fps")
        preview.close()
        close(ends[1])
        var bytes = Array(reader.waitForEOF().utf8)
        let leaveAlternateScreen = Array("\u{1B}[?1049l".utf8)
        if let end = (0...(bytes.count - leaveAlternateScreen.count)).last(where: {
            Array(bytes[$0..<($0 + leaveAlternateScreen.count)]) == leaveAlternateScreen
        }) {
            bytes.removeSubrange(end...)
        }

        let cells = size.fit(imageWidth: 320, imageHeight: 180)   // 80 × 22 or 23
        let screen = try TmuxScreen.capture(bytes, columns: 80, rows: 30) { $0.contains("4.0 fps") }
        let expected = image.resized(width: cells.columns, height: cells.rows * 2)
        var mismatches = 0
        for row in 0..<cells.rows {
            XCTAssertEqual(screen.rows[row].count, cells.columns, "row \(row)")
            for x in 0..<min(cells.columns, screen.rows[row].count) {
                let top = (row * 2 * cells.columns + x) * 3
                let color = TmuxScreen.Color.rgb(Int(expected.pixels[top]), Int(expected.pixels[top + 1]), Int(expected.pixels[top + 2]))
                if screen.rows[row][x].foreground != color { mismatches += 1 }
            }
        }
        XCTAssertEqual(mismatches, 0, "cells showing another colour than the fitted frame")
        let statusRow = String(screen.rows[cells.rows].map(\.character))
        XCTAssertEqual(statusRow, "frame 12  4.0 fps")
        for row in (cells.rows + 1)..<screen.rows.count {
            XCTAssertTrue(screen.rows[row].allSatisfy { $0.character == " " }, "row \(row) is empty")
        }
    }
}
