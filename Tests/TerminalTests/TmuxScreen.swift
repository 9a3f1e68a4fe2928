import Foundation
import XCTest

/// Runs bytes through a real terminal emulator (tmux, detached, on its own
/// server socket) and reads the screen back with its colours.
struct TmuxScreen {
    /// A cell's colour as tmux reports it.
    enum Color: Equatable, CustomStringConvertible {
        case `default`
        case rgb(Int, Int, Int)
        case indexed(Int)
        var description: String {
            switch self {
            case .default: return "default"
            case let .rgb(r, g, b): return "rgb(\(r),\(g),\(b))"
            case let .indexed(n): return "#\(n)"
            }
        }
    }

    struct Cell: Equatable {
        var character: Character
        var foreground: Color
        var background: Color
    }

    /// Screen rows (trailing blanks trimmed by tmux).
    let rows: [[Cell]]

    /// Shows `bytes` in an 80×30 tmux pane and captures the pane with escapes (`capture-pane -e`).
    static func capture(_ bytes: [UInt8], columns: Int = 80, rows: Int = 30,
                        until ready: (String) -> Bool) throws -> TmuxScreen {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") else { throw XCTSkip("tmux not installed") }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("terminal-test-\(UUID().uuidString).bin")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let socket = "stylize-test-\(getpid())-\(UUID().uuidString.prefix(8))"
        defer {
            _ = try? run(["-L", socket, "kill-server"])
            let directory = ProcessInfo.processInfo.environment["TMUX_TMPDIR"] ?? "/tmp"
            try? FileManager.default.removeItem(atPath: "\(directory)/tmux-\(getuid())/\(socket)")
        }
        _ = try run(["-L", socket, "-f", "/dev/null", "new-session", "-d", "-s", "preview",
                     "-x", "\(columns)", "-y", "\(rows)", "cat '\(file.path)'; sleep 30"], capture: false)
        var captured = ""
        for _ in 0..<100 {
            captured = try run(["-L", socket, "capture-pane", "-p", "-e", "-t", "preview"])
            if ready(captured) { break }
            usleep(50_000)
        }
        return TmuxScreen(rows: captured.split(separator: "\n", omittingEmptySubsequences: false).map(parse))
    }

    /// The tmux server forks from the first client and inherits its open
    /// descriptors, Foundation's exit-notification socket among them: the
    /// launching `Process` would then not see its client exit until the
    /// server does. The shell closes everything above stderr first.
    private static func run(_ arguments: [String], capture: Bool = true) throws -> String {
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
