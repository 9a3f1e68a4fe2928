import Foundation
import XCTest

/// Runs bytes or a program in a real terminal emulator (tmux, detached, on its
/// own server socket) and reads the screen back with its colours. Shared by the
/// Terminal module's tests and the CLI's (`stylize preview` read back from tmux).
public struct TmuxScreen {
    /// A cell's colour as tmux reports it.
    public enum Color: Equatable, CustomStringConvertible {
        case `default`
        case rgb(Int, Int, Int)
        case indexed(Int)
        public var description: String {
            switch self {
            case .default: return "default"
            case let .rgb(r, g, b): return "rgb(\(r),\(g),\(b))"
            case let .indexed(n): return "#\(n)"
            }
        }
    }

    public struct Cell: Equatable {
        public var character: Character
        public var foreground: Color
        public var background: Color
    }

    /// Screen rows (trailing blanks trimmed by tmux).
    public let rows: [[Cell]]

    /// Shows `bytes` in an 80×30 tmux pane and captures the pane with escapes (`capture-pane -e`).
    public static func capture(_ bytes: [UInt8], columns: Int = 80, rows: Int = 30,
                               until ready: (String) -> Bool) throws -> TmuxScreen {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("terminal-test-\(UUID().uuidString).bin")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let session = try TmuxSession(command: "cat '\(file.path)'; sleep 30", columns: columns, rows: rows)
        return try session.capture(until: ready)
    }

    init(captured: String) {
        rows = captured.split(separator: "\n", omittingEmptySubsequences: false).map(Self.parse)
    }

    /// The tmux server forks from the first client and inherits its open
    /// descriptors, Foundation's exit-notification socket among them: the
    /// launching `Process` would then not see its client exit until the
    /// server does. The shell closes everything above stderr first.
    static func run(_ arguments: [String], capture: Bool = true) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        let closeInherited = "for fd in /proc/self/fd/*; do n=${fd##*/}; [ \"$n\" -gt 2 ] && eval \"exec $n>&-\"; done 2>/dev/null"
        process.arguments = ["-c", closeInherited + "; exec /usr/bin/tmux \"$@\"", "tmux"] + arguments
        let pipe = Pipe()
        process.standardOutput = capture ? pipe : FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = capture ? pipe.fileHandleForReading.readDataToEndOfFile() : Data()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// One captured line: SGR sequences update the current colours, every
    /// other character becomes a cell.
    private static func parse(_ line: Substring) -> [Cell] {
        var cells: [Cell] = []
        var foreground = Color.default, background = Color.default
        let scalars = Array(line.unicodeScalars)
        var i = 0
        while i < scalars.count {
            if scalars[i] == "\u{1B}", i + 1 < scalars.count, scalars[i + 1] == "[" {
                var end = i + 2
                while end < scalars.count, !(0x40...0x7E).contains(scalars[end].value) { end += 1 }
                if end < scalars.count, scalars[end] == "m" {
                    let text = String(String.UnicodeScalarView(scalars[(i + 2)..<end]))
                    let parameters = text.split(separator: ";", omittingEmptySubsequences: false).map { Int($0) ?? 0 }
                    var p = 0
                    while p < parameters.count {
                        switch parameters[p] {
                        case 0: foreground = .default; background = .default
                        case 39: foreground = .default
                        case 49: background = .default
                        case 38, 48:
                            let layer = parameters[p]
                            var color = Color.default
                            if p + 4 < parameters.count, parameters[p + 1] == 2 {
                                color = .rgb(parameters[p + 2], parameters[p + 3], parameters[p + 4]); p += 4
                            } else if p + 2 < parameters.count, parameters[p + 1] == 5 {
                                color = .indexed(parameters[p + 2]); p += 2
                            }
                            if layer == 38 { foreground = color } else { background = color }
                        default: break
                        }
                        p += 1
                    }
                }
                i = end + 1
                continue
            }
            cells.append(Cell(character: Character(scalars[i]), foreground: foreground, background: background))
            i += 1
        }
        return cells
    }
}

/// A program running in a detached tmux pane of a given size: capture its screen, type keys.
public final class TmuxSession {
    private let socket = "stylize-test-\(getpid())-\(UUID().uuidString.prefix(8))"

    /// Starts `command` (a shell command line) in a `columns`×`rows` pane.
    public init(command: String, columns: Int = 80, rows: Int = 30) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") else { throw XCTSkip("tmux not installed") }
        _ = try TmuxScreen.run(["-L", socket, "-f", "/dev/null", "new-session", "-d", "-s", "test",
                                "-x", "\(columns)", "-y", "\(rows)", command], capture: false)
    }

    /// The screen with colours (`capture-pane -e`), polled every 50 ms until `ready` accepts
    /// its text or `timeout` seconds pass (then the last capture is returned).
    public func capture(timeout: Double = 5, until ready: (String) -> Bool) throws -> TmuxScreen {
        var captured = ""
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            captured = try TmuxScreen.run(["-L", socket, "capture-pane", "-p", "-e", "-t", "test"])
            if ready(captured) { break }
            usleep(50_000)
        } while Date() < deadline
        return TmuxScreen(captured: captured)
    }

    /// Types `keys` into the pane (tmux key names, e.g. "q").
    public func send(keys: String) throws {
        _ = try TmuxScreen.run(["-L", socket, "send-keys", "-t", "test", keys])
    }

    deinit {
        _ = try? TmuxScreen.run(["-L", socket, "kill-server"])
        let directory = ProcessInfo.processInfo.environment["TMUX_TMPDIR"] ?? "/tmp"
        try? FileManager.default.removeItem(atPath: "\(directory)/tmux-\(getuid())/\(socket)")
    }
}
